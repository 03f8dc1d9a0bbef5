package batch

import (
	"slices"
	"strings"
	"testing"
)

// FuzzShardPlan checks, for any list and any n, that the n shards of a
// list partition it in order and that each shard's plan covers its shard
// exactly once, in batches of the planned size.
func FuzzShardPlan(f *testing.F) {
	f.Add("AS1\nAS2\nAS3\n193.0.0.0/21", uint8(3), uint8(2))
	f.Add("", uint8(1), uint8(1))
	f.Add(strings.Join(testNodes(50), "\n"), uint8(7), uint8(5))
	f.Fuzz(func(t *testing.T, text string, n, size uint8) {
		if n == 0 || size == 0 {
			return
		}
		l, err := ReadNodes(strings.NewReader(text), ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for k := 1; k <= int(n); k++ {
			p, err := NewPlan(l.Nodes, PlanOptions{Size: int(size), Shard: Shard{k, int(n)}})
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for b := range p.Batches() {
				if len(b.Nodes) == 0 || len(b.Nodes) > int(size) || (b.Index < p.NumBatches()-1 && len(b.Nodes) != int(size)) {
					t.Fatalf("shard %d/%d batch %d has %d nodes (size %d)", k, n, b.Index, len(b.Nodes), size)
				}
				all = append(all, b.Nodes...)
			}
			if !slices.Equal(all, (Shard{k, int(n)}).Filter(l.Nodes)) {
				t.Fatalf("plan of shard %d/%d does not cover the shard in order", k, n)
			}
			for _, x := range all {
				seen[x]++
			}
		}
		if len(seen) != len(l.Nodes) {
			t.Fatalf("%d shards cover %d of %d nodes", n, len(seen), len(l.Nodes))
		}
		for x, c := range seen {
			if c != 1 {
				t.Fatalf("node %q in %d shards", x, c)
			}
		}
	})
}

// BenchmarkReadNodes reads an 80,000-line list, the size of the daily job.
func BenchmarkReadNodes(b *testing.B) {
	text := strings.Join(testNodes(80000), "\n") + "\n"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := ReadNodes(strings.NewReader(text), ListOptions{})
		if err != nil || len(l.Nodes) != 80000 {
			b.Fatal(err, len(l.Nodes))
		}
	}
}
