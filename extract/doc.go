// Package extract pulls selected values out of a JSON document while it
// streams, in memory that does not grow with the document.
//
// # Modes
//
// Three modes take the same selectors and give the same values, in document
// order, on valid input:
//
//   - [Stream] (the default) scans the bytes in a fixed, reused buffer,
//     follows the selectors and skips every other subtree without building
//     it. Memory is O(buffer + nesting depth) whatever the body size.
//   - [Regex] runs a regular expression with one capture group over chunks
//     of the stream, carrying over the tail of each chunk so that no match is
//     lost or doubled at a chunk boundary. It matches text, not paths.
//   - [Full] reads the whole body and walks it with sonic. It is the speed
//     reference; its memory is O(body).
//
// # Selectors
//
// A selector is a path of object keys and array wildcards:
// data.updates[*].timestamp, ["odd.key"][*].ts, or [*] for the elements of
// a top-level array. Keys are compared after JSON unescaping.
//
// # Timestamps
//
// [ParseTimestamp] and [Tally] turn selected values into counts: unix
// seconds or milliseconds as numbers, or RFC 3339 / ISO 8601 strings with or
// without a zone (no zone means UTC, as RIPEstat sends them).
package extract
