package batch

import (
	"fmt"
	"strconv"
	"strings"
)

// A Shard selects the part of a node list that one of N cooperating runs
// takes: the nodes whose FNV-1a 64-bit hash of the ID's bytes, modulo N,
// equals K-1. K is 1-based ("1/3", "2/3", "3/3"), as people number cron
// entries and machines. The split depends only on each ID, not on the
// order or the other IDs of the list, so the N shards of a list cover it
// exactly once on any machine and across runs, and a node keeps its shard
// when the list grows.
//
// The zero Shard (N == 0) is the whole list.
type Shard struct {
	K, N int
}

// ParseShard parses "k/n" with 1 <= k <= n. The empty string is the zero
// Shard (the whole list).
func ParseShard(s string) (Shard, error) {
	if strings.TrimSpace(s) == "" {
		return Shard{}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("batch: shard %q: want k/n, e.g. 1/4", s)
	}
	k, err1 := strconv.Atoi(strings.TrimSpace(ks))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("batch: shard %q: k and n must be integers", s)
	}
	sh := Shard{K: k, N: n}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Validate reports whether s is the zero Shard or has 1 <= K <= N.
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.N < 1 || s.K < 1 || s.K > s.N {
		return fmt.Errorf("batch: shard %d/%d: want 1 <= k <= n (shards are numbered from 1)", s.K, s.N)
	}
	return nil
}

// String returns "k/n", or "" for the zero Shard, so that it round-trips
// through ParseShard.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Contains reports whether node belongs to the shard. The zero Shard
// contains every node.
func (s Shard) Contains(node string) bool {
	if s.N <= 1 {
		return true
	}
	return fnv1a(node)%uint64(s.N) == uint64(s.K-1)
}

// fnv1a is hash/fnv's New64a over the bytes of s, without its allocations.
func fnv1a(s string) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime64
	}
	return h
}

// Filter returns the nodes of the shard in their original order. It
// returns nodes itself for the whole list and otherwise a new slice that
// shares the strings.
func (s Shard) Filter(nodes []string) []string {
	if s.N <= 1 {
		return nodes
	}
	var out []string
	for _, n := range nodes {
		if s.Contains(n) {
			out = append(out, n)
		}
	}
	return out
}
