package measure

import (
	"fmt"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/store"
)

// checkAgainstTruth reads the run folder dir and says, node by node, how
// it differs from the mock's truth: a record whose count, first, last or
// hourly buckets differ, a node missing or stored twice, a node that was
// not asked for. Dead-lettered nodes count as present (the bench reports
// how many); they are not compared.
func checkAgainstTruth(dir string, nodes []string, truth func(node string) (synth.Truth, error)) ([]string, error) {
	var out []string
	want := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		want[n] = true
	}
	seen := make(map[string]string, len(nodes))
	note := func(node, where string) {
		switch {
		case !want[node]:
			out = append(out, fmt.Sprintf("node %s in %s was not asked for", node, where))
		case seen[node] != "":
			out = append(out, fmt.Sprintf("node %s in both %s and %s", node, seen[node], where))
		}
		seen[node] = where
	}
	err := store.ReadRecords(dir, func(r store.Record) error {
		note(r.Node, "a batch file")
		t, err := truth(r.Node)
		if err != nil {
			return fmt.Errorf("measure: truth of node %s: %w", r.Node, err)
		}
		if msg := recordDiff(r, t); msg != "" {
			out = append(out, fmt.Sprintf("node %s: %s", r.Node, msg))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("measure: read %s: %w", dir, err)
	}
	dead, err := store.ReadDeadLetters(dir)
	if err != nil {
		return nil, fmt.Errorf("measure: read %s: %w", dir, err)
	}
	for _, d := range dead {
		note(d.Node, "the dead-letter file")
	}
	for _, n := range nodes {
		if seen[n] == "" {
			out = append(out, fmt.Sprintf("node %s is missing from the output", n))
		}
	}
	return out, nil
}

// recordDiff says how r differs from t, or "".
func recordDiff(r store.Record, t synth.Truth) string {
	if r.Count != t.Count || r.Invalid != 0 {
		return fmt.Sprintf("count %d (invalid %d), truth %d", r.Count, r.Invalid, t.Count)
	}
	if t.Count > 0 && (r.First == nil || r.Last == nil || *r.First != t.First || *r.Last != t.Last) {
		return fmt.Sprintf("first/last %s/%s, truth %d/%d", fmtPtr(r.First), fmtPtr(r.Last), t.First, t.Last)
	}
	if len(r.Buckets) != len(t.PerHour) {
		return fmt.Sprintf("%d hourly buckets, truth %d", len(r.Buckets), len(t.PerHour))
	}
	for k, n := range r.Buckets {
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
