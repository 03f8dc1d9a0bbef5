package measure

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/extract"
)

// ExtractConfig is what `sluice bench extract` measures.
type ExtractConfig struct {
	// Sizes are the target body sizes in bytes; each body gets
	// synth.UpdatesForSize(size) updates, so its real size is close.
	Sizes []int64 `json:"sizes"`
	// Kinds are the modes and peers to measure at every size.
	Kinds []Kind `json:"kinds"`
	// Reps is how many children measure each (kind, size); the report
	// gives the median throughput. Zero means 1.
	Reps int `json:"reps"`
	// BufferSize is the stream buffer and regex chunk; zero means
	// extract.DefaultBufferSize.
	BufferSize int `json:"buffer_size"`
	// SweepBuffers are the stream buffer sizes of the sweep, measured at
	// SweepSize (which should be one of Sizes, so that the sweep has a
	// peer to be compared with). Empty means no sweep.
	SweepBuffers []int `json:"sweep_buffers,omitempty"`
	SweepSize    int64 `json:"sweep_size,omitempty"`
	// Gzip feeds every kind a gzip-compressed body to decompress.
	Gzip bool   `json:"gzip"`
	Seed uint64 `json:"seed"`
	// MemoryCap skips the kinds that hold the whole body (full,
	// json-unmarshal) where their MemoryFactor × size exceeds it. Zero
	// means no cap.
	MemoryCap int64 `json:"memory_cap"`
	// MinBytes makes a child repeat the extraction of a small body until
	// it has read this many bytes, so that its time is long enough to
	// measure. Zero means one pass.
	MinBytes int64 `json:"min_bytes"`
	// Warmup makes every child run one untimed pass first (see Spec).
	Warmup bool `json:"warmup"`
}

// maxPasses bounds the passes of one child whatever MinBytes says.
const maxPasses = 256

// ExtractResult is everything `sluice bench extract` measured.
type ExtractResult struct {
	Config ExtractConfig `json:"config"`
	// Rows holds one row per (kind, size), then the buffer sweep's rows.
	Rows    []Row     `json:"rows"`
	Skipped []Skipped `json:"skipped,omitempty"`
	// Agreement says whether every kind found the generator's values.
	Agreement Agreement `json:"agreement"`
}

// Row is one (kind, size, buffer) measured Reps times.
type Row struct {
	Kind       Kind  `json:"kind"`
	Size       int64 `json:"size"`    // target size, as asked
	Updates    int64 `json:"updates"` // elements in the body
	BodyBytes  int64 `json:"body_bytes"`
	WireBytes  int64 `json:"wire_bytes"`
	BufferSize int   `json:"buffer_size"`
	Gzip       bool  `json:"gzip"`
	Sweep      bool  `json:"sweep,omitempty"` // a row of the buffer sweep
	Reps       []Rep `json:"reps"`
	// The summary of Reps: median throughput (wall and CPU), its ratio to the json-token
	// peer's median at the same size (nil without that peer), the largest
	// peak RSS and heap, the median allocations per value net of the
	// generator's (the read kind's allocations per pass at the same size).
	MedianMBps     float64  `json:"median_mbps"`
	MedianCPUMBps  float64  `json:"median_cpu_mbps"` // per CPU second; 0 where not measured
	RatioToToken   *float64 `json:"ratio_to_json_token"`
	PeakRSSBytes   int64    `json:"peak_rss_bytes"`
	PeakHeapBytes  uint64   `json:"peak_heap_bytes"`
	AllocsPerValue float64  `json:"allocs_per_value"`
	// Values is what the first rep found, Truth what the body holds.
	Values Values `json:"values"`
	Truth  Values `json:"truth"`
	Error  string `json:"error,omitempty"`
}

// Rep is one child's figures.
type Rep struct {
	Sample
	Usage
	MBps float64 `json:"mbps"`
	// CPUMBps is the throughput per CPU second (ExtractCPUNanos), 0 where
	// not measured.
	CPUMBps float64 `json:"cpu_mbps"`
	// PeakRSSBytes is the child's VmHWM where known, else MaxRSSBytes.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// Skipped is a (kind, size) not measured, and why.
type Skipped struct {
	Kind   Kind   `json:"kind"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// Agreement is the check that all kinds found the same values as the
// generator's ground truth.
type Agreement struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

// ErrDisagree is returned (wrapped) by RunExtract and RunScrape when a
// measurement failed or found other values than the ground truth; the
// result is still complete.
var ErrDisagree = errors.New("results differ from the ground truth")

// Progress hears about each child as it finishes.
type Progress func(done, total int, row *Row, rep *Rep, err error)

// job is one child to run.
type job struct {
	row  int // index into ExtractResult.Rows
	spec Spec
}

// RunExtract measures cfg, one child at a time through l. It returns the
// result with ErrDisagree when the values do not agree or a child failed,
// and stops early only when ctx is done.
func RunExtract(ctx context.Context, cfg ExtractConfig, l Launcher, progress Progress) (*ExtractResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	res := &ExtractResult{Config: cfg}
	jobs := res.plan()
	truths := map[int64]Values{}
	for i := range res.Rows {
		row := &res.Rows[i]
		t, ok := truths[row.Updates]
		if !ok {
			t = truthValues(synth.Options{Seed: cfg.Seed, Updates: row.Updates}.Truth())
			truths[row.Updates] = t
		}
		row.Truth = t
	}
	for i, j := range jobs {
		row := &res.Rows[j.row]
		if row.Error != "" {
			continue // an earlier rep failed: the row is lost anyway
		}
		resp, u, err := l.Launch(ctx, Request{Extract: &j.spec})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil && resp.Extract == nil {
			err = errors.New("child process: no extract sample in the answer")
		}
		if err != nil {
			row.Error = err.Error()
			if progress != nil {
				progress(i+1, len(jobs), row, nil, err)
			}
			continue
		}
		row.Reps = append(row.Reps, newRep(*resp.Extract, u))
		if progress != nil {
			progress(i+1, len(jobs), row, &row.Reps[len(row.Reps)-1], nil)
		}
	}
	res.Summarize()
	if !res.Agreement.OK {
		return res, fmt.Errorf("%w: %s", ErrDisagree, res.Agreement.Problems[0])
	}
	return res, nil
}

func (cfg ExtractConfig) check() error {
	if len(cfg.Sizes) == 0 || len(cfg.Kinds) == 0 {
		return errors.New("measure: no sizes or no kinds to measure")
	}
	for _, s := range cfg.Sizes {
		if s <= 0 {
			return fmt.Errorf("measure: body size %d is not positive", s)
		}
	}
	if len(cfg.SweepBuffers) > 0 && cfg.SweepSize <= 0 {
		return fmt.Errorf("measure: sweep size %d is not positive", cfg.SweepSize)
	}
	for _, b := range append([]int{cfg.BufferSize}, cfg.SweepBuffers...) {
		if b < 0 {
			return fmt.Errorf("measure: buffer size %d is negative", b)
		}
	}
	if cfg.Reps < 0 || cfg.MemoryCap < 0 || cfg.MinBytes < 0 {
		return errors.New("measure: negative reps, memory cap or min bytes")
	}
	return nil
}

// plan fills res.Rows and res.Skipped and returns the children to run,
// rep by rep, so that a change in the machine's load spreads over all
// kinds rather than hitting one.
func (res *ExtractResult) plan() []job {
	cfg := res.Config
	buffer := cfg.BufferSize
	if buffer == 0 {
		buffer = extract.DefaultBufferSize
	}
	var specs []Spec
	addRow := func(k Kind, size int64, buf int, sweep bool) {
		updates := synth.UpdatesForSize(size)
		res.Rows = append(res.Rows, Row{Kind: k, Size: size, Updates: updates, BufferSize: buf, Gzip: cfg.Gzip, Sweep: sweep})
		specs = append(specs, Spec{
			Kind: k, Updates: updates, Seed: cfg.Seed, BufferSize: buf, Gzip: cfg.Gzip,
			Passes: passesFor(size, cfg.MinBytes), Warmup: cfg.Warmup,
		})
	}
	for _, size := range cfg.Sizes {
		for _, k := range cfg.Kinds {
			if need := k.MemoryFactor() * size; k.HoldsBody() && cfg.MemoryCap > 0 && need > cfg.MemoryCap {
				res.Skipped = append(res.Skipped, Skipped{Kind: k, Size: size, Reason: fmt.Sprintf(
					"holds the whole body: about %d × %d bytes exceeds the memory cap of %d bytes", k.MemoryFactor(), size, cfg.MemoryCap)})
				continue
			}
			addRow(k, size, buffer, false)
		}
	}
	for _, b := range cfg.SweepBuffers {
		addRow(KindStream, cfg.SweepSize, b, true)
	}
	var jobs []job
	for range max(cfg.Reps, 1) {
		for i, s := range specs {
			jobs = append(jobs, job{row: i, spec: s})
		}
	}
	return jobs
}

func passesFor(size, minBytes int64) int {
	if minBytes <= size {
		return 1
	}
	return int(min((minBytes+size-1)/size, maxPasses))
}

func truthValues(t synth.Truth) Values {
	v := Values{Count: t.Count}
	if t.Count > 0 {
		v.First, v.Last = &t.First, &t.Last
	}
	return v
}

func newRep(s Sample, u Usage) Rep {
	r := Rep{Sample: s, Usage: u, PeakRSSBytes: s.HWMBytes}
	if r.PeakRSSBytes == 0 {
		r.PeakRSSBytes = u.MaxRSSBytes
	}
	r.MBps = mbps(s.BodyBytes*int64(s.Passes), s.ExtractNanos)
	r.CPUMBps = mbps(s.BodyBytes*int64(s.Passes), s.ExtractCPUNanos)
	return r
}

// mbps is bytes per nanosecond times 1000: MB/s with MB = 10^6 bytes.
func mbps(bytes, nanos int64) float64 {
	if nanos <= 0 {
		return 0
	}
	return float64(bytes) / float64(nanos) * 1e3
}

// Summarize computes each row's summary from its reps, the ratios to the
// json-token peer and the agreement. RunExtract calls it; a reader of
// bench.json can call it to check the figures.
func (res *ExtractResult) Summarize() {
	token := map[int64]float64{} // size → the token peer's median
	read := map[int64]float64{}  // size → the read kind's median mallocs per pass
	for i := range res.Rows {
		row := &res.Rows[i]
		if row.Sweep || row.Error != "" || len(row.Reps) == 0 {
			continue
		}
		switch row.Kind {
		case PeerToken:
			token[row.Size] = MedianOf(row.Reps, func(r Rep) float64 { return r.MBps })
		case KindRead:
			read[row.Size] = MedianOf(row.Reps, func(r Rep) float64 { return float64(r.Mallocs) / float64(r.Passes) })
		}
	}
	for i := range res.Rows {
		res.Rows[i].summarize(read[res.Rows[i].Size])
	}
	ag := Agreement{OK: true}
	for i := range res.Rows {
		row := &res.Rows[i]
		row.RatioToToken = nil
		if t, ok := token[row.Size]; ok && t > 0 && row.Error == "" {
			r := row.MedianMBps / t
			row.RatioToToken = &r
		}
		if p := row.problem(); p != "" {
			ag.OK = false
			ag.Problems = append(ag.Problems, p)
		}
	}
	res.Agreement = ag
}

// summarize computes the row's summary from its reps. baseMallocs is the
// read kind's allocations per pass at the same size (the generator's
// share), subtracted from the allocations per value.
func (row *Row) summarize(baseMallocs float64) {
	if len(row.Reps) == 0 {
		return
	}
	first := row.Reps[0]
	row.BodyBytes, row.WireBytes, row.Values = first.BodyBytes, first.WireBytes, first.Values
	row.MedianMBps = MedianOf(row.Reps, func(r Rep) float64 { return r.MBps })
	row.MedianCPUMBps = MedianOf(row.Reps, func(r Rep) float64 { return r.CPUMBps })
	row.AllocsPerValue = MedianOf(row.Reps, func(r Rep) float64 {
		n := float64(r.Values.Count) * float64(r.Passes)
		if n == 0 {
			return 0
		}
		return (float64(r.Mallocs) - baseMallocs*float64(r.Passes)) / n
	})
	row.PeakRSSBytes, row.PeakHeapBytes = 0, 0
	for _, r := range row.Reps {
		row.PeakRSSBytes = max(row.PeakRSSBytes, r.PeakRSSBytes)
		row.PeakHeapBytes = max(row.PeakHeapBytes, r.PeakHeapBytes)
	}
}

// problem says what is wrong with the row's values, or "".
func (row *Row) problem() string {
	name := fmt.Sprintf("%s at %d bytes (buffer %d)", row.Kind, row.Size, row.BufferSize)
	switch {
	case row.Error != "":
		return fmt.Sprintf("%s failed: %s", name, row.Error)
	case len(row.Reps) == 0:
		return fmt.Sprintf("%s: no measurement", name)
	case row.Kind == KindRead:
		return ""
	}
	for i, r := range row.Reps {
		if !r.Values.Equal(row.Truth) {
			return fmt.Sprintf("%s, rep %d: found %v, the body holds %v", name, i+1, r.Values, row.Truth)
		}
	}
	return ""
}

// MedianOf returns the median of f over reps (Rep or ScrapeRep), or 0
// for none.
func MedianOf[R any](reps []R, f func(R) float64) float64 {
	xs := make([]float64, len(reps))
	for i, r := range reps {
		xs[i] = f(r)
	}
	return Median(xs)
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
