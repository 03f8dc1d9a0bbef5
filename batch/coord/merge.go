package coord

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/store"
)

// MergeOptions configure Merge.
type MergeOptions struct {
	// Duplicates allows a batch committed in more than one source (a
	// batch redone after its first worker lost its lease): the first
	// source's copy is taken. Without it a batch in two sources is an
	// error, as two shards of one job must not overlap.
	Duplicates bool
	// Partial allows sources that do not cover every batch of the plan;
	// the missing ones stay missing in into. Without it they are an
	// error.
	Partial bool
}

// folderManifest is the part of a run folder's manifest.json that a
// merge checks: which job, which batches. Reading it directly, without
// store.Open, takes no lock, so a worker still closing its folder does not
// block the merge.
type folderManifest struct {
	Params  store.Params `json:"params"`
	Batches []struct {
		Batch int `json:"batch"`
	} `json:"batches"`
}

func readFolderManifest(dir string) (folderManifest, error) {
	var m folderManifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return m, fmt.Errorf("merge: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("merge: %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	return m, nil
}

// Merge commits the batches of the run folders srcs, all of plan p's
// job, into the run folder into (created if missing, resumed if it
// exists): the result is one folder in today's format, which export and
// a resumed run read unchanged. It checks that every source holds the
// same job (its params) and, unless o says otherwise, that together they
// cover the plan exactly once. Batches into already holds are kept.
func Merge(p *batch.Plan, into string, srcs []string, o MergeOptions) error {
	params := p.Params()
	n := p.NumBatches()
	from := make([]int, n) // batch → index of its source + 1; 0: none
	mans := make([]folderManifest, len(srcs))
	for si, src := range srcs {
		m, err := readFolderManifest(src)
		if err != nil {
			return err
		}
		if !sameParams(m.Params, params) {
			return fmt.Errorf("merge: %s holds another job (url %q, shard %q, nodes %s; this job: %q, %q, %s)",
				src, m.Params.URL, m.Params.Shard, m.Params.NodesSHA256, params.URL, params.Shard, params.NodesSHA256)
		}
		mans[si] = m
		for _, b := range m.Batches {
			switch {
			case b.Batch < 0 || b.Batch >= n:
				return fmt.Errorf("merge: %s holds batch %d; the plan has %d", src, b.Batch, n)
			case from[b.Batch] == 0:
				from[b.Batch] = si + 1
			case !o.Duplicates:
				return fmt.Errorf("merge: batch %d is in both %s and %s", b.Batch, srcs[from[b.Batch]-1], src)
			}
		}
	}
	var missing []int
	for i, f := range from {
		if f == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 && !o.Partial {
		return fmt.Errorf("merge: %d of %d batches in no source (first: %s)", len(missing), n, firstOf(missing))
	}

	dst, err := store.Open(into, params, store.OpenOptions{})
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer dst.Close()
	if err := dst.SetPlan(p.Len(), n); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	batchOf := make(map[string]int, p.Len())
	for i := range n {
		for _, node := range p.Batch(i).Nodes {
			batchOf[node] = i
		}
	}
	for si, src := range srcs {
		if err := mergeOne(dst, src, si+1, from, batchOf); err != nil {
			return err
		}
	}
	return dst.Close()
}

// mergeOne commits into dst the batches that from assigns to source si.
func mergeOne(dst *store.Run, src string, si int, from []int, batchOf map[string]int) error {
	recs := map[int][]store.Record{}
	dead := map[int][]store.DeadLetter{}
	mine := func(b int) bool { return b >= 0 && b < len(from) && from[b] == si && !dst.Completed(b) }
	err := store.ReadRecords(src, func(r store.Record) error {
		if b, ok := batchOf[r.Node]; ok && mine(b) {
			recs[b] = append(recs[b], r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	dls, err := store.ReadDeadLetters(src)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for _, d := range dls {
		if mine(d.Batch) {
			dead[d.Batch] = append(dead[d.Batch], d)
		}
	}
	for b := range from {
		if !mine(b) {
			continue
		}
		if err := dst.CommitBatch(b, recs[b], dead[b]); err != nil {
			return fmt.Errorf("merge: batch %d from %s: %w", b, src, err)
		}
	}
	return nil
}

// sameParams compares the fields that make a job.
func sameParams(a, b store.Params) bool {
	return a.URL == b.URL && slices.Equal(a.Paths, b.Paths) && a.Mode == b.Mode && a.Start == b.Start &&
		a.End == b.End && a.BatchSize == b.BatchSize && a.Shard == b.Shard && a.Bucket == b.Bucket &&
		a.Unit == b.Unit && a.NodesSHA256 == b.NodesSHA256
}

func firstOf(xs []int) string {
	var s []string
	for _, x := range xs[:min(len(xs), 5)] {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}
