package measure

import (
	"fmt"

	"github.com/sluicehq/sluice/extract"
)

// Kind names what one measurement runs: an extraction mode, a peer, or the
// bare read of the body.
type Kind string

// The kinds of extraction measurement.
const (
	KindStream Kind = Kind(extract.Stream)
	KindRegex  Kind = Kind(extract.Regex)
	KindFull   Kind = Kind(extract.Full)
	// PeerToken is encoding/json's Decoder.Token walking the selector.
	PeerToken Kind = "json-token"
	// PeerUnmarshal is io.ReadAll plus json.Unmarshal into a struct
	// shaped like the selector.
	PeerUnmarshal Kind = "json-unmarshal"
	// KindRead reads the body to its end and does nothing else: the cost
	// of the harness (and of gzip decoding), which is in every other row.
	KindRead Kind = "read"
)

// Kinds lists every kind in report order; each call returns a new slice.
func Kinds() []Kind {
	return []Kind{KindStream, KindRegex, KindFull, PeerToken, PeerUnmarshal, KindRead}
}

// ParseKind parses a kind name as given on the command line.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("measure: unknown kind %q (want stream, regex, full, json-token, json-unmarshal or read)", s)
}

// IsMode reports whether k is one of extract's modes (stream, regex,
// full), not a peer or the bare read.
func (k Kind) IsMode() bool {
	switch k {
	case KindStream, KindRegex, KindFull:
		return true
	}
	return false
}

// HoldsBody reports whether k reads the whole body into memory, so that
// its memory is O(body) and it is subject to a memory cap.
func (k Kind) HoldsBody() bool { return k.MemoryFactor() > 0 }

// MemoryFactor estimates the peak memory of a kind that holds the body as
// a multiple of the body size, from what this harness measured on
// RIPEstat-shaped bodies: full mode (the body and sonic's nodes) peaked at
// 3.0× the body at 64 MiB and 3.6× at 256 MiB; json-unmarshal (the body,
// io.ReadAll's growth and a RawMessage per value) at 3.3×. It is 0 for the
// kinds whose memory does not grow with the body.
func (k Kind) MemoryFactor() int64 {
	switch k {
	case KindFull, PeerUnmarshal:
		return 4
	}
	return 0
}

// Spec is one extraction measurement, sent by the parent to a child.
type Spec struct {
	Kind Kind `json:"kind"`
	// Path is the selector; empty means extract.DefaultPath.
	Path string `json:"path,omitempty"`
	// Updates is the number of elements in the generated body; Seed and
	// Resource pick the body (see synth.Options).
	Updates  int64  `json:"updates"`
	Seed     uint64 `json:"seed"`
	Resource string `json:"resource,omitempty"`
	// BufferSize is the extractor's buffer (stream) or chunk (regex) and
	// the read buffer of KindRead; zero means extract.DefaultBufferSize.
	BufferSize int `json:"buffer_size,omitempty"`
	// Gzip compresses the body (on the fly, outside the timed section),
	// and the measured reader decompresses it.
	Gzip bool `json:"gzip,omitempty"`
	// Passes is how many times the child extracts the body; the time is
	// the sum. Zero means 1.
	Passes int `json:"passes,omitempty"`
	// Warmup runs one untimed pass first, so that the timed passes reuse
	// memory the process already has: on a VM, the first touch of fresh
	// memory can cost more than the extraction, and a pipeline worker
	// reuses its extractor and heap from node to node.
	Warmup bool `json:"warmup,omitempty"`
}

// Values is what a measurement found: how many values were selected and
// the first and last of them as unix seconds (nil when the value is not a
// timestamp or there is none).
type Values struct {
	Count int64  `json:"count"`
	First *int64 `json:"first"`
	Last  *int64 `json:"last"`
}

// Equal reports whether v and w are the same values.
func (v Values) Equal(w Values) bool {
	return v.Count == w.Count && eqPtr(v.First, w.First) && eqPtr(v.Last, w.Last)
}

func (v Values) String() string {
	return fmt.Sprintf("count %d, first %s, last %s", v.Count, fmtPtr(v.First), fmtPtr(v.Last))
}

func eqPtr(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func fmtPtr(p *int64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

// Sample is a child's answer: the figures of one measurement as the child
// sees them. The parent adds what only it can see (the child's rusage).
type Sample struct {
	Kind      Kind  `json:"kind"`
	BodyBytes int64 `json:"body_bytes"` // uncompressed body, one pass
	WireBytes int64 `json:"wire_bytes"` // as read from the source, one pass (compressed with gzip)
	Passes    int   `json:"passes"`
	// ExtractNanos is the wall time of all passes minus SourceNanos.
	ExtractNanos int64 `json:"extract_ns"`
	// SourceNanos is the time spent inside the generator and compressor.
	SourceNanos int64 `json:"source_ns"`
	// ExtractCPUNanos is the process's CPU time (user and system, every
	// thread: the garbage collector's too) during all passes minus the
	// source's; 0 where the system does not say (only Linux does here).
	// On a shared machine it is steadier than the wall time.
	ExtractCPUNanos int64  `json:"extract_cpu_ns"`
	Values          Values `json:"values"`
	// Mallocs and AllocBytes are the heap allocations of all passes (the
	// source's included: see the read kind for its share).
	Mallocs    uint64 `json:"mallocs"`
	AllocBytes uint64 `json:"alloc_bytes"`
	GCCycles   uint32 `json:"gc_cycles"`
	// PeakHeapBytes is the largest live heap seen: sampled every few
	// milliseconds and at the end of each pass.
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// HWMBytes is the child's peak RSS from /proc/self/status (VmHWM);
	// zero where the system does not say.
	HWMBytes int64 `json:"hwm_bytes"`
}
