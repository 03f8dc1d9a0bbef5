package store

import (
	"fmt"
	"strings"
)

// SetPlan records in the manifest what the run sets out to do: nodes
// nodes in batches 0..batches-1. Export uses it to tell a finished run
// from one that was stopped early (CheckComplete). The plan is part of
// the run (Params fix it), so setting the one already recorded commits
// nothing; a different one replaces it.
func (r *Run) SetPlan(nodes, batches int) error {
	if nodes < 0 || batches < 0 || batches > nodes {
		return fmt.Errorf("store: set plan in %s: %d nodes in %d batches", r.dir, nodes, batches)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return fmt.Errorf("store: set plan in %s: %w", r.dir, err)
	}
	p := planEntry{Nodes: nodes, Batches: batches}
	if r.man.Plan != nil && *r.man.Plan == p {
		return nil
	}
	t := &txn{man: r.man.clone()}
	t.man.Plan = &p
	if err := r.apply(t); err != nil {
		return fmt.Errorf("store: set plan in %s: %w", r.dir, err)
	}
	return nil
}

// CheckComplete returns nil if the run in folder dir has committed every
// batch of its plan (its nodes are each in a batch file or the dead-letter
// file), and otherwise an error wrapping ErrIncomplete that says how much
// is missing. It reads the manifest only; ReadRecords checks the files.
func CheckComplete(dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := m.checkComplete(dir); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// checkComplete is CheckComplete on the manifest m of dir.
func (m *manifest) checkComplete(dir string) error {
	missing, err := m.missing()
	if err != nil {
		return fmt.Errorf("%s: %w: %v", dir, ErrIncomplete, err)
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w: %d of %d planned batches are not committed (%s); run the same scrape again to finish it",
		dir, ErrIncomplete, len(missing), m.Plan.Batches, ranges(missing))
}

// ranges writes sorted numbers as "0-3, 7, 9-12", at most a few ranges.
func ranges(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if len(parts) == 5 {
			parts = append(parts, "…")
			break
		}
		if i == j {
			parts = append(parts, fmt.Sprint(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return "batch " + strings.Join(parts, ", ")
}
