package store

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 10 item 4: the finished nodes of an interrupted batch are
// committed as a part; a resumed run reads them back with Part and
// commits the whole batch, each node once. A damaged or deleted part file
// is detected on Open and its nodes are no longer done.
func TestCommitPart(t *testing.T) {
	build := func(t *testing.T, dir string) {
		r := openRun(t, dir, nil)
		must(t, r.SetPlan(3, 1))
		must(t, r.CommitPart(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 503)}))
		mustClose(t, r)
	}
	nodes := func(recs []Record, dead []DeadLetter) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Node)
		}
		for _, d := range dead {
			out = append(out, "dead:"+d.Node)
		}
		return out
	}
	part := batchName(1) // numbered after the planned batches
	for _, tc := range []struct {
		name   string
		damage func(string) error
		done   []string // what Part reports after Open
	}{
		{"intact", nil, []string{"AS1", "dead:AS2"}},
		{"byte flipped", func(p string) error {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			data[len(data)/2] ^= 1
			return os.WriteFile(p, data, 0o644)
		}, []string{"dead:AS2"}},
		{"deleted", os.Remove, []string{"dead:AS2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir)
			if tc.damage != nil {
				must(t, tc.damage(filepath.Join(dir, part)))
			}
			var logs bytes.Buffer
			r := openRun(t, dir, &logs)
			if tc.damage != nil && !strings.Contains(logs.String(), part) {
				t.Errorf("the logs do not name %s: %q", part, logs.String())
			}
			if r.Completed(0) {
				t.Fatal("a batch with only a part is Completed")
			}
			recs, dead, err := r.Part(0)
			must(t, err)
			if got := nodes(recs, dead); !slices.Equal(got, tc.done) {
				t.Fatalf("Part(0) = %v, want %v", got, tc.done)
			}
			// The resumed run fetches what is missing and commits it all.
			if !slices.ContainsFunc(recs, func(r Record) bool { return r.Node == "AS1" }) {
				recs = append(recs, rec("AS1", 1))
			}
			recs = append(recs, rec("AS3", 3))
			must(t, r.CommitBatch(0, recs, dead))
			mustClose(t, r)
			got := readState(t, dir)
			if len(got.recs) != 2 || len(got.dead) != 1 {
				t.Fatalf("after the batch: %v", got)
			}
			must(t, CheckComplete(dir))
			if bad := leftovers(t, dir); len(bad) > 0 {
				t.Errorf("leftover files %q", bad)
			}
			if _, err := os.Stat(filepath.Join(dir, part)); err == nil {
				t.Errorf("part file %s still there after the whole batch was committed", part)
			}
		})
	}
}
