// Package measure runs sluice's benchmarks: what an extraction mode or a
// scrape configuration costs in time and memory, measured so that one
// measurement cannot pollute the next.
//
// # Child processes
//
// Every measurement runs in its own child process (the same binary, a
// hidden subcommand), so that its peak resident set is its own and a mode
// that holds a whole body does not leave a heap behind for the next one.
// The parent sends a [Spec] as JSON on the child's stdin; the child runs
// [RunChild] and answers with a [Sample] as JSON on stdout. A [Launcher]
// does the round trip; [ExecLauncher] is the real one.
//
// Peak RSS is read by the child from VmHWM in /proc/self/status, which
// belongs to the child's own address space. The parent also records the
// rusage Maxrss of the child, but on Linux that figure starts from the
// parent's own high-water mark: os/exec starts children with vfork, and
// the kernel carries the old address space's peak into the new one at
// exec. Where VmHWM is missing (not Linux), Maxrss is used.
//
// # Timing
//
// Bodies come from the synth generator on the fly and are never stored.
// The generator's time is not the extractor's: the child wraps the source
// in a reader that adds up the time spent inside the generator (and the
// compressor, with gzip input) and subtracts it from the wall time of the
// extraction. Decompression is part of the extraction, as in the real
// pipeline. Throughput is body bytes (uncompressed JSON) per second, in
// MB/s (10^6 bytes). A child may run one untimed warm-up pass first
// ([Spec].Warmup), so that the timed passes reuse memory the process
// already holds, as a pipeline worker does from node to node.
//
// # Peers
//
// Two peers run under the same harness: encoding/json's Decoder.Token
// walking the selector ([PeerToken]), and io.ReadAll plus json.Unmarshal
// into a struct shaped like the selector ([PeerUnmarshal]). Every kind
// reports the values it found (count, first, last); they must agree with
// each other and with the generator's ground truth.
package measure
