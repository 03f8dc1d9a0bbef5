// Package synth generates RIPEstat-shaped bgp-updates response bodies of
// any size, deterministically, together with their ground truth.
//
// # Why
//
// sluice is tested and benchmarked on bodies that look like the real
// RIPEstat Data API answers (the envelope, the update elements, the key
// orders seen in different years) but that can be many GiB long and whose
// timestamps are known in advance: a test compares what an extractor
// found with [Options.Truth] instead of with a second parser.
//
// # Determinism
//
// A body is a pure function of its [Options]: the same Resource, Seed,
// Updates, window and formatting options always give the same bytes, on
// every platform (the generator uses integer arithmetic only). Different
// seeds vary the envelope's key order (data first, in the middle or last,
// sometimes an extra "pipeline" key), the element key order, the paths,
// prefixes and communities, and how updates cluster in time.
//
// # Memory and speed
//
// A [Reader] holds a few KiB of pre-rendered element templates and one
// output chunk, whatever Updates is. Elements are assembled from those
// templates with strconv-style appends, so the generator outruns the
// extractors it feeds (well above 1 GB/s on one core). [Options.Size]
// gives a body's exact length without rendering it (for Content-Length),
// by running the same draws as the Reader.
//
// # Timestamps
//
// The window [Start, End) is cut into segments (10 minutes, more for long
// windows) with heavy-tailed weights, so that some hours are busy and some
// quiet; each segment gets its share of Updates, spread over it in order.
// Timestamps are therefore non-decreasing and inside the window. Reader and
// Truth run the same sequence code, so they cannot disagree.
package synth
