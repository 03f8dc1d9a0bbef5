package main

import (
	"fmt"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/store"
)

// verdict is what checkRun found in a run folder.
type verdict struct {
	ok, dead   int      // nodes in batch files / in the dead-letter file
	mismatches []string // one line per disagreement; empty when all is well
}

// checkRun compares a finished run folder with the ground truth of the
// mock API: every node must be in exactly one place (a batch file or the
// dead-letter file) and every stored aggregate must equal the truth,
// per-hour buckets included. It reads the folder without taking its lock.
func checkRun(dir string, nodes []string, truth func(node string) (synth.Truth, error)) (verdict, error) {
	var v verdict
	want := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		want[n] = true
	}
	seen := make(map[string]string, len(nodes)) // node → where it was found
	note := func(node, where string) {
		switch {
		case !want[node]:
			v.mismatches = append(v.mismatches, fmt.Sprintf("node %s in %s is not in the node list", node, where))
		case seen[node] != "":
			v.mismatches = append(v.mismatches, fmt.Sprintf("node %s in both %s and %s", node, seen[node], where))
		}
		seen[node] = where
	}
	err := store.ReadRecords(dir, func(r store.Record) error {
		note(r.Node, "a batch file")
		v.ok++
		t, err := truth(r.Node)
		if err != nil {
			return fmt.Errorf("truth of node %s: %w", r.Node, err)
		}
		if msg := compareTruth(r, t); msg != "" {
			v.mismatches = append(v.mismatches, fmt.Sprintf("node %s: %s", r.Node, msg))
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	dead, err := store.ReadDeadLetters(dir)
	if err != nil {
		return v, err
	}
	for _, d := range dead {
		note(d.Node, "the dead-letter file")
		v.dead++
	}
	for _, n := range nodes {
		if seen[n] == "" {
			v.mismatches = append(v.mismatches, fmt.Sprintf("node %s is missing from the output", n))
		}
	}
	return v, nil
}

// compareTruth says how r differs from t, or "" when it does not. The
// buckets are compared when r has them, as hourly counts.
func compareTruth(r store.Record, t synth.Truth) string {
	if r.Count != t.Count || r.Invalid != 0 {
		return fmt.Sprintf("count %d (invalid %d), truth %d", r.Count, r.Invalid, t.Count)
	}
	if t.Count > 0 && (r.First == nil || r.Last == nil || *r.First != t.First || *r.Last != t.Last) {
		return fmt.Sprintf("first/last %v/%v, truth %d/%d", deref(r.First), deref(r.Last), t.First, t.Last)
	}
	if r.Buckets == nil {
		return ""
	}
	if len(r.Buckets) != len(t.PerHour) {
		return fmt.Sprintf("%d buckets, truth %d hours", len(r.Buckets), len(t.PerHour))
	}
	for hour, n := range t.PerHour {
		key := time.Unix(hour, 0).UTC().Format(time.RFC3339)
		if r.Buckets[key] != n {
			return fmt.Sprintf("bucket %s: %d, truth %d", key, r.Buckets[key], n)
		}
	}
	return ""
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
