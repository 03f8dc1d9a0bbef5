package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/store"
)

func TestPlanBatches(t *testing.T) {
	nodes := testNodes(300)
	p, err := NewPlan(nodes, PlanOptions{Size: 128})
	if err != nil {
		t.Fatal(err)
	}
	if p.NumBatches() != 3 || p.Len() != 300 || p.Size() != 128 {
		t.Fatalf("batches %d, len %d, size %d", p.NumBatches(), p.Len(), p.Size())
	}
	var all []string
	ids := map[string]bool{}
	for b := range p.Batches() {
		want := 128
		if b.Index == 2 {
			want = 300 - 256
		}
		if len(b.Nodes) != want {
			t.Errorf("batch %d has %d nodes, want %d", b.Index, len(b.Nodes), want)
		}
		if !strings.HasPrefix(b.ID, p.Fingerprint()[:12]+"-") || !strings.HasSuffix(b.ID, fmt.Sprintf("%06d", b.Index)) {
			t.Errorf("batch %d has ID %q", b.Index, b.ID)
		}
		ids[b.ID] = true
		all = append(all, b.Nodes...)
	}
	if !slices.Equal(all, nodes) || len(ids) != 3 {
		t.Fatalf("batches do not cover the list in order (%d nodes, %d IDs)", len(all), len(ids))
	}
	// A batch is a view, not a copy, and cannot grow into its neighbour.
	b0 := p.Batch(0)
	if &b0.Nodes[0] != &nodes[0] || cap(b0.Nodes) != 128 {
		t.Fatal("batch 0 is not a capped view of the list")
	}
	sum := sha256.Sum256([]byte(strings.Join(nodes, "\n") + "\n"))
	if p.NodesSHA256() != hex.EncodeToString(sum[:]) {
		t.Fatalf("NodesSHA256 = %s, want sha256sum of the list", p.NodesSHA256())
	}
}

// The same list and parameters give the same fingerprint and batch IDs;
// any change of list, order, size, shard or parameter gives another.
func TestPlanFingerprint(t *testing.T) {
	nodes := testNodes(1000)
	base := PlanOptions{Size: 100, Params: store.Params{URL: "https://x/{node}", Paths: []string{"data.updates[*].timestamp"}}}
	p1, _ := NewPlan(nodes, base)
	p2, _ := NewPlan(slices.Clone(nodes), base)
	if p1.Fingerprint() != p2.Fingerprint() || p1.Batch(7).ID != p2.Batch(7).ID {
		t.Fatal("same list and parameters, different fingerprint")
	}
	// Pinned, so that a change of fingerprint recipe (which would make
	// every existing run folder refuse to resume) is a deliberate one.
	small, _ := NewPlan([]string{"AS1", "AS2"}, PlanOptions{})
	if got := small.Fingerprint(); got != pinnedFingerprint {
		t.Errorf("fingerprint of [AS1 AS2] = %s, pinned %s", got, pinnedFingerprint)
	}

	swapped := slices.Clone(nodes)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	variants := map[string]struct {
		nodes []string
		opts  PlanOptions
	}{
		"one node less":  {nodes[1:], base},
		"order":          {swapped, base},
		"size":           {nodes, PlanOptions{Size: 101, Params: base.Params}},
		"shard":          {nodes, PlanOptions{Size: 100, Shard: Shard{1, 1}, Params: base.Params}},
		"param":          {nodes, PlanOptions{Size: 100, Params: store.Params{URL: "https://y/{node}", Paths: base.Params.Paths}}},
		"param boundary": {nodes, PlanOptions{Size: 100, Params: store.Params{URL: "https://x/{node}data.updates", Paths: []string{"[*].timestamp"}}}},
		"path boundary":  {nodes, PlanOptions{Size: 100, Params: store.Params{URL: base.Params.URL, Paths: []string{"data.updates[*]", ".timestamp"}}}},
		"unit":           {nodes, PlanOptions{Size: 100, Params: store.Params{URL: base.Params.URL, Paths: base.Params.Paths, Unit: "ms"}}},
		"window":         {nodes, PlanOptions{Size: 100, Params: store.Params{URL: base.Params.URL, Paths: base.Params.Paths, Start: "2026-01-01T00:00:00"}}},
		"no params":      {nodes, PlanOptions{Size: 100}},
	}
	seen := map[string]string{p1.Fingerprint(): "base"}
	for name, v := range variants {
		p, err := NewPlan(v.nodes, v.opts)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[p.Fingerprint()]; dup {
			t.Errorf("%s and %s share fingerprint %s", name, prev, p.Fingerprint())
		}
		seen[p.Fingerprint()] = name
	}
}

// pinnedFingerprint was computed outside Go (python hashlib) from the recipe
// in fingerprint: v2, the nodes' sha256, size 128, no shard, no URL, zero
// paths, then empty mode, start, end, bucket and unit.
const pinnedFingerprint = "59dc3f46138ca7c5fddd76ffd043ba7901c4161a7e1b8a798609e372c84f8348"

func TestPlanShardAndErrors(t *testing.T) {
	nodes := testNodes(1000)
	p, err := NewPlan(nodes, PlanOptions{Size: 10, Shard: Shard{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Nodes(), Shard{2, 3}.Filter(nodes)) || p.Shard() != (Shard{2, 3}) {
		t.Fatal("plan does not hold its shard of the list")
	}
	if _, err := NewPlan(nodes, PlanOptions{Size: -1}); err == nil {
		t.Error("negative size accepted")
	}
	if _, err := NewPlan(nodes, PlanOptions{Shard: Shard{3, 2}}); err == nil {
		t.Error("shard 3/2 accepted")
	}
	empty, _ := NewPlan(nil, PlanOptions{})
	if empty.NumBatches() != 0 {
		t.Errorf("empty plan has %d batches", empty.NumBatches())
	}
}
