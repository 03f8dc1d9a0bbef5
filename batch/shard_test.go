package batch

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		err  string
	}{
		{in: "", want: Shard{}},
		{in: "1/1", want: Shard{1, 1}},
		{in: "2/4", want: Shard{2, 4}},
		{in: " 4 / 4 ", want: Shard{4, 4}},
		{in: "0/4", err: "shards are numbered from 1"},
		{in: "5/4", err: "want 1 <= k <= n"},
		{in: "1/0", err: "want 1 <= k <= n"},
		{in: "-1/2", err: "want 1 <= k <= n"},
		{in: "1", err: "want k/n"},
		{in: "a/b", err: "must be integers"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseShard(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, _ := ParseShard(got.String()); back != got {
			t.Errorf("ParseShard(%q).String() does not round-trip: %q", tt.in, got.String())
		}
	}
}

// testNodes returns n distinct IDs, ASNs and prefixes alternating.
func testNodes(n int) []string {
	nodes := make([]string, n)
	for i := range nodes {
		if i%2 == 0 {
			nodes[i] = fmt.Sprintf("AS%d", 1000+i)
		} else {
			nodes[i] = fmt.Sprintf("10.%d.%d.%d/32", i>>16&255, i>>8&255, i&255)
		}
	}
	return nodes
}

// The n shards of a list partition it: every node in exactly one shard,
// order kept, and each shard a fair share.
func TestShardPartition(t *testing.T) {
	nodes := testNodes(10000)
	pos := make(map[string]int, len(nodes)) // node → its place in the list
	for i, x := range nodes {
		pos[x] = i
	}
	for _, n := range []int{1, 2, 3, 7, 16} {
		owner := make(map[string]int, len(nodes))
		total := 0
		for k := 1; k <= n; k++ {
			part := Shard{k, n}.Filter(nodes)
			total += len(part)
			if n > 1 && (len(part) < len(nodes)/n*8/10 || len(part) > len(nodes)/n*12/10) {
				t.Errorf("shard %d/%d has %d of %d nodes: not a fair share", k, n, len(part), len(nodes))
			}
			last := -1
			for _, x := range part {
				if prev, ok := owner[x]; ok {
					t.Fatalf("node %s in shards %d and %d of %d", x, prev, k, n)
				}
				owner[x] = k
				if pos[x] <= last {
					t.Fatalf("shard %d/%d reorders the list", k, n)
				}
				last = pos[x]
			}
		}
		if total != len(nodes) || len(owner) != len(nodes) {
			t.Fatalf("%d shards cover %d of %d nodes", n, len(owner), len(nodes))
		}
	}
}

// A node's shard depends on the node alone: pinned values catch a change
// of hash that would move nodes between machines from one release to the
// next, and a shuffled, grown list keeps every node in its shard.
func TestShardStable(t *testing.T) {
	for _, s := range []string{"", "AS3333", "193.0.0.0/21", "2001:db8::/32"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got := fnv1a(s); got != h.Sum64() {
			t.Errorf("fnv1a(%q) = %x, hash/fnv says %x", s, got, h.Sum64())
		}
	}
	// Shards pinned from an independent FNV-1a computation, so that a
	// change of hash (which would move nodes between machines from one
	// release to the next) fails here.
	pinned := map[string]int{"AS3333": 2, "AS13335": 3, "193.0.0.0/21": 3}
	for node, want := range pinned {
		for k := 1; k <= 4; k++ {
			if got := (Shard{k, 4}).Contains(node); got != (k == want) {
				t.Errorf("Shard{%d, 4}.Contains(%s) = %v, want shard %d", k, node, got, want)
			}
		}
	}

	nodes := testNodes(500)
	grown := append(append([]string{"AS1", "AS2"}, nodes[250:]...), nodes[:250]...)
	in := map[string]bool{}
	for _, x := range (Shard{2, 3}).Filter(nodes) {
		in[x] = true
	}
	for _, x := range (Shard{2, 3}).Filter(grown) {
		if x == "AS1" || x == "AS2" {
			continue
		}
		if !in[x] {
			t.Fatalf("%s joined shard 2/3 when the list was reordered", x)
		}
		delete(in, x)
	}
	if len(in) != 0 {
		t.Fatalf("%d nodes left shard 2/3 when the list was reordered", len(in))
	}
}
