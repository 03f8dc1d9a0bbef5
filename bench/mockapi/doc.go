// Package mockapi is a mock of the RIPEstat Data API's bgp-updates call,
// served over loopback, for sluice's tests, benchmarks and rehearsals.
//
// # What it serves
//
//	GET /data/bgp-updates/data.json?resource=R&starttime=T1&endtime=T2[&sourceapp=A][&unix_timestamps=true]
//	GET /truth?resource=R&starttime=T1&endtime=T2   ground truth (count, first, last, per hour)
//	GET /stats                                      what each client got, as JSON
//
// Bodies are generated on the fly by package synth and never held in
// memory, so a resource can be many GiB. A resource's body is a pure
// function of (Config.Seed, resource, window, unix_timestamps): every
// request for it, retries included, gets the same bytes unless a fault
// strikes. Body sizes follow Config.Sizes (heavy-tailed by default);
// Config.Overrides pins the size or the fate of single resources.
//
// # Rate limits
//
// Requests under /data/ are counted per client (the sourceapp parameter,
// else the remote IP) in fixed windows aligned on multiples of
// Config.Window since the unix epoch, as with Redis INCR+EXPIREAT. Every
// answer carries X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (unix seconds of the window's end); over the limit the
// answer is 429 with Retry-After and a JSON body. Config.MaxConcurrent
// optionally limits open requests per client as well. Time comes from
// Config.Now, so tests move the windows with a fake clock.
//
// # Faults and latency
//
// Each request for a resource draws its fault and its latency from a
// generator seeded by (fault seed, resource, how many requests that
// resource had before): a run is reproducible for a seed and a request
// sequence, however requests for different resources interleave, and a
// retrying client eventually gets the real body. The spec strings of the
// command line are parsed by ParseFaults, ParseLatency, ParseSizeDist,
// ParseOverride and ParseBytes.
package mockapi
