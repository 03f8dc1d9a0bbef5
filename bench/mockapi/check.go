package mockapi

import (
	"fmt"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/store"
)

// Verdict is what CheckRun found in a run folder.
type Verdict struct {
	OK, Dead   int      // nodes in batch files / in the dead-letter file
	Mismatches []string // one line per disagreement; empty when all is well
}

// CheckRun compares a finished run folder with the ground truth (the same
// that /truth serves; Server.Truth over the run's window): every node of
// nodes must be in exactly one place, a batch file or the dead-letter
// file, no other node may be there, and every stored aggregate must equal
// the truth, hourly buckets included. Dead-lettered nodes are counted,
// not compared. It reads the folder without taking its lock.
func CheckRun(dir string, nodes []string, truth func(node string) (synth.Truth, error)) (Verdict, error) {
	var v Verdict
	want := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		want[n] = true
	}
	seen := make(map[string]string, len(nodes)) // node → where it was found
	note := func(node, where string) {
		switch {
		case !want[node]:
			v.Mismatches = append(v.Mismatches, fmt.Sprintf("node %s in %s is not in the node list", node, where))
		case seen[node] != "":
			v.Mismatches = append(v.Mismatches, fmt.Sprintf("node %s in both %s and %s", node, seen[node], where))
		}
		seen[node] = where
	}
	err := store.ReadRecords(dir, func(r store.Record) error {
		note(r.Node, "a batch file")
		v.OK++
		t, err := truth(r.Node)
		if err != nil {
			return fmt.Errorf("truth of node %s: %w", r.Node, err)
		}
		if msg := RecordDiff(r, t); msg != "" {
			v.Mismatches = append(v.Mismatches, fmt.Sprintf("node %s: %s", r.Node, msg))
		}
		return nil
	})
	if err != nil {
		return v, err // store's errors name the file
	}
	dead, err := store.ReadDeadLetters(dir)
	if err != nil {
		return v, err // store's errors name the file
	}
	for _, d := range dead {
		note(d.Node, "the dead-letter file")
		v.Dead++
	}
	for _, n := range nodes {
		if seen[n] == "" {
			v.Mismatches = append(v.Mismatches, fmt.Sprintf("node %s is missing from the output", n))
		}
	}
	return v, nil
}

// RecordDiff says how the stored record r differs from the truth t, or ""
// when it does not: count, invalid, first, last and every hourly bucket,
// both ways (a bucket the truth lacks is a difference too).
func RecordDiff(r store.Record, t synth.Truth) string {
	if r.Count != t.Count || r.Invalid != 0 {
		return fmt.Sprintf("count %d (invalid %d), truth %d", r.Count, r.Invalid, t.Count)
	}
	if t.Count > 0 && (r.First == nil || r.Last == nil || *r.First != t.First || *r.Last != t.Last) {
		return fmt.Sprintf("first/last %s/%s, truth %d/%d", fmtPtr(r.First), fmtPtr(r.Last), t.First, t.Last)
	}
	if len(r.Buckets) != len(t.PerHour) {
		return fmt.Sprintf("%d hourly buckets, truth %d", len(r.Buckets), len(t.PerHour))
	}
	// In key order, so that the diff names the same bucket every time.
	for _, b := range r.Buckets {
		k, n := b.Start, b.Count
		at, err := time.Parse(time.RFC3339, k)
		if err != nil {
			return fmt.Sprintf("bucket %q: %v", k, err)
		}
		if want := t.PerHour[at.Unix()]; n != want {
			return fmt.Sprintf("bucket %s: %d, truth %d", k, n, want)
		}
	}
	return ""
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
