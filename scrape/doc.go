// Package scrape fetches response bodies from an HTTP API for many nodes,
// politely and without ever holding a body in memory.
//
// Most callers want [New] and [Client.Fetch]: Fetch builds the node's URL
// from the template, waits its turn, sends the request, and hands the
// decoded body to a consume function as an [io.Reader] while it streams.
// [Replayer] is the same [Fetcher] over bodies captured earlier.
//
// # Rate limiting
//
// Every request of a Client waits on one shared token bucket
// ([golang.org/x/time/rate]), on one shared "not before" gate and on the
// server's announced quota. The gate is pushed forward by the server: a
// Retry-After header (seconds or an HTTP date) on a 429 or a 503, or
// X-RateLimit-Remaining: 0 with X-RateLimit-Reset, makes every worker wait
// for the reset, not only the one that saw the header. A Retry-After on
// another error (a 500 from one backend) delays only that node's retry:
// one bad node must not pause a whole run. The quota is the freshest
// X-RateLimit-Remaining, minus the requests sent since the one it answered
// (in flight included): when it is spent, workers wait for the reset
// instead of sending requests that the server would refuse. After a 429
// the bucket's rate is cut (multiplicative decrease, at most once per
// server window) and then grows back slowly (additive increase), so a
// client started too fast settles just under the server's limit even when
// the server sends no headers. These policies live in small types driven
// by explicit instants (limits, gate, aimd) so that their tests never
// sleep.
//
// # Retries
//
// 429, 408, 5xx, connection errors, stalled bodies (no byte for
// Options.StallTimeout), truncated bodies and bodies that consume rejects
// are retried with exponential back-off and full jitter, up to
// Options.MaxAttempts and Options.MaxNodeTime. Other statuses (400, 404,
// …), an over-size body and a node that cannot go in a URL fail at once. A
// final failure is a [*FetchError] carrying the attempts, the last status
// and the last error, ready for a dead-letter file.
//
// # Bodies
//
// The client asks for zstd or gzip and decodes by Content-Encoding on the
// fly (github.com/klauspost/compress, decoders with bounded windows). The
// decoded size is capped by Options.MaxBodySize, which also defeats
// compression bombs. An optional bytes-per-second budget is shared by all
// body reads. With Options.CaptureDir set, the decoded body is teed,
// zstd-compressed, to CaptureDir/<CaptureName(node)>.json.zst; the file
// appears (by rename) only after an attempt succeeded.
//
// # Secrets
//
// Header values (API keys), secret-looking template variables and
// key/token/secret-like query parameters never appear in log lines or
// errors: everything printed goes through [Redact] and the client's own
// list of secret values.
package scrape
