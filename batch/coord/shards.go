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

// MergeShards combines the run folders srcs, the shards k/n of one job
// (today's --shard runs, one per machine), into into: the folder the job
// writes without --shard, batch for batch, so that export and a resumed
// run without --shard read it unchanged. nodes is the job's node list:
// the folders' manifests keep only its hash. It checks that the folders
// hold one job (every parameter but the shard equal), that each was cut
// from nodes, and that the shards are 1/n … n/n once each and hold every
// node once. (Processes of one --coord run need no merge: they all write
// one folder, store.Shared.)
//
// It holds the aggregates of the whole list in memory while it merges: a
// few hundred bytes to a few KiB per node.
func MergeShards(nodes []string, into string, srcs []string) error {
	if len(srcs) == 0 {
		return fmt.Errorf("merge: no folder to merge")
	}
	mans := make([]folderManifest, len(srcs))
	for i, src := range srcs {
		m, err := readFolderManifest(src)
		if err != nil {
			return err
		}
		if d := jobDiff(mans[0].Params, m.Params); i > 0 && d != "" {
			return fmt.Errorf("merge: %s holds another job than %s: %s", src, srcs[0], d)
		}
		mans[i] = m
	}
	base := mans[0].Params
	shards := make([]batch.Shard, len(srcs))
	seen := map[int]string{}
	for i, m := range mans {
		s, err := batch.ParseShard(m.Params.Shard)
		switch {
		case err != nil:
			return fmt.Errorf("merge: %s: shard %q: %w", srcs[i], m.Params.Shard, err)
		case s.N == 0 && len(srcs) > 1:
			return fmt.Errorf("merge: %s holds the whole list, not a shard; merge shards 1/n … n/n", srcs[i])
		case s.N != shards[0].N && i > 0:
			return fmt.Errorf("merge: %s is shard %s, %s is shard %s: not one split", srcs[0], mans[0].Params.Shard, srcs[i], m.Params.Shard)
		case seen[s.K] != "":
			return fmt.Errorf("merge: %s and %s are both shard %s", seen[s.K], srcs[i], m.Params.Shard)
		}
		seen[s.K], shards[i] = srcs[i], s
		p, err := batch.NewPlan(nodes, batch.PlanOptions{Size: base.BatchSize, Shard: s, Params: m.Params})
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		if p.NodesSHA256() != m.Params.NodesSHA256 {
			return fmt.Errorf("merge: %s (shard %s) was not cut from this node list (nodes sha256 %s, this list's shard: %s)",
				srcs[i], m.Params.Shard, m.Params.NodesSHA256, p.NodesSHA256())
		}
	}
	if n := shards[0].N; n > 0 && len(srcs) != n {
		var miss []string
		for k := 1; k <= n; k++ {
			if seen[k] == "" {
				miss = append(miss, fmt.Sprintf("%d/%d", k, n))
			}
		}
		return fmt.Errorf("merge: shards %s missing", strings.Join(miss, ", "))
	}

	whole := base
	whole.Shard = ""
	full, err := batch.NewPlan(nodes, batch.PlanOptions{Size: base.BatchSize, Params: whole})
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	recs := make(map[string]store.Record, full.Len())
	dead := map[string]store.DeadLetter{}
	from := map[string]string{}
	for _, src := range srcs {
		err := store.ReadRecords(src, func(r store.Record) error {
			if f, dup := from[r.Node]; dup {
				return fmt.Errorf("merge: node %s is in %s and %s", r.Node, f, src)
			}
			from[r.Node], recs[r.Node] = src, r
			return nil
		})
		if err != nil {
			return err
		}
		dls, err := store.ReadDeadLetters(src)
		if err != nil {
			return err
		}
		for _, d := range dls {
			if f, dup := from[d.Node]; dup {
				return fmt.Errorf("merge: node %s is in %s and %s", d.Node, f, src)
			}
			from[d.Node], dead[d.Node] = src, d
		}
	}
	var missing []string
	for _, n := range full.Nodes() {
		if from[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge: %d of %d nodes in no folder (first: %s): a shard is unfinished",
			len(missing), full.Len(), strings.Join(missing[:min(5, len(missing))], ", "))
	}
	if len(from) != full.Len() {
		return fmt.Errorf("merge: the folders hold %d nodes, the list %d", len(from), full.Len())
	}

	dst, err := store.Open(into, full.Params(), store.OpenOptions{})
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer dst.Close()
	if err := dst.SetPlan(full.Len(), full.NumBatches()); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for i := range full.NumBatches() {
		if dst.Completed(i) {
			continue
		}
		var rs []store.Record
		var ds []store.DeadLetter
		for _, n := range full.Batch(i).Nodes {
			if r, ok := recs[n]; ok {
				rs = append(rs, r)
			} else {
				d := dead[n]
				d.Batch = i
				ds = append(ds, d)
			}
		}
		slices.SortFunc(rs, func(a, b store.Record) int { return strings.Compare(a.Node, b.Node) })
		if err := dst.CommitBatch(i, rs, ds); err != nil {
			return fmt.Errorf("merge: batch %d: %w", i, err)
		}
	}
	return dst.Close()
}

// jobDiff names the first parameter other than the shard and its node
// list in which two folders differ; "" when they are one job.
func jobDiff(a, b store.Params) string {
	a.Shard, a.NodesSHA256, b.Shard, b.NodesSHA256 = "", "", "", ""
	switch {
	case a.URL != b.URL:
		return fmt.Sprintf("url %q, %q", a.URL, b.URL)
	case !slices.Equal(a.Paths, b.Paths) || a.Mode != b.Mode:
		return fmt.Sprintf("paths %v %s, %v %s", a.Paths, a.Mode, b.Paths, b.Mode)
	case a.Start != b.Start || a.End != b.End:
		return fmt.Sprintf("window %s–%s, %s–%s", a.Start, a.End, b.Start, b.End)
	case a.BatchSize != b.BatchSize || a.Bucket != b.Bucket || a.Unit != b.Unit:
		return fmt.Sprintf("batch size/bucket/unit %d %s %s, %d %s %s", a.BatchSize, a.Bucket, a.Unit, b.BatchSize, b.Bucket, b.Unit)
	}
	return ""
}

// folderManifest is the part of a run folder's manifest.json that a
// merge checks: which job, which batches. Reading it directly, without
// store.Open, takes no lock, so a process still writing a shard does not block
// the check.
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
