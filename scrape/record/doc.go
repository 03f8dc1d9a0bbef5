// Package record keeps whole HTTP exchanges of a run on disk, every
// attempt of every node, failures included, and serves them back: to the
// scrape client (a Transport), to any HTTP client (a Server) and to the
// tests of users (NewTestServer, NewTransport with Strict).
//
// # Folder layout
//
//	DIR/index.json                      version, the job's parameters, nodes and attempts
//	DIR/nodes/<name>/000001.body.zst    attempt 1's body as received, zstd-compressed
//	DIR/nodes/<name>/000001.json        attempt 1's metadata (written last: its commit mark)
//
// <name> is [scrape.CaptureName] of the node: no path separator, no dot
// first, bounded length, so no node can put a file outside DIR. Every file
// is written to a temporary name, synced and renamed, the metadata after
// its body; a run killed mid-attempt leaves at most a temporary file or a
// body without metadata, which [Open] skips and lists in Folder.Skipped.
//
// The body is the bytes the server sent (still Content-Encoded, if it
// was), streamed through a zstd encoder to disk and never held whole, so a
// recorded body is as large as the disk allows.
//
// # How an attempt ended
//
// Attempt.End says what the client saw when the body stopped: EndComplete
// (the body reached its clean end), EndCut (the connection ended early:
// io.ErrUnexpectedEOF), EndReset (connection reset), EndStall (the client
// gave up waiting for bytes), EndTimeout (a deadline passed), EndClosed
// (the client closed the body before its end, e.g. after an error
// response's first bytes), EndError (another error, in Attempt.Err), and
// EndInterrupted (the run itself was stopping: not a fact about the
// server, and never replayed). An attempt that got no response at all has
// Status 0 and one of EndReset, EndStall, EndTimeout or EndError.
//
// # Matching requests to recorded attempts
//
// A Matcher turns a request into a key; recorded attempts with the same
// key are served in the order they were recorded, one per request.
// ByNode(template) keys a request by the node its URL holds, read through
// the URL template the run used ({node} is unescaped; other placeholders
// match anything; scheme and host are ignored, so a folder recorded
// against one host serves requests for another). ByRequest keys by method
// and redacted path and query, with the built-in secret names and the
// recording's own (the run's --redact names, kept in the index). Once a key's attempts are used up, or for a
// key never recorded, the Transport fails the request with ErrNotRecorded
// (and, in Strict mode, fails the test).
//
// # Replaying a run
//
// A scrape client whose Options.WrapTransport returns a Transport, with
// the recorded run's options and a clock.Sim as its clock (started at
// Folder.Start), makes the requests of the recorded run and gets its
// answers, so its retries, dead letters and rate-limit reactions come out
// as they did. The Sim moves only when every fetch waits on it (a
// back-off, the rate limiter, a Retry-After, a recorded stall that waits
// for the client's stall timer), so the recorded waits take no real time
// and the outcome does not depend on the machine's load. What may differ:
// every duration (simulated: TTFB, Result.Duration, waits), the Stalls
// counter when the live client's own stall timer fired after a body's
// last byte (the attempt is retried either way), and the text of network
// errors (no live socket addresses). Served over a socket (Handler), a
// reset can also drop bytes the client had not read, so wire byte counts
// may differ while the outcomes do not.
//
// # Versions
//
// index.json carries Version. A folder written by an older sluice is
// read as it is; a newer version is refused with an error that says so.
// A folder holding only the bodies of the old --capture flag (no index)
// is refused by Open with ErrLegacyFolder: sluice replay still reads it
// the old way.
package record
