package store

import (
	"errors"
	"fmt"
	"testing"
)

// crashCase is a commit to interrupt: prior builds the folder, op is the
// commit that a kill cuts short, redo is what the rerun does if op did
// not reach its commit point.
type crashCase struct {
	name  string
	prior func(t *testing.T, r *Run)
	op    func(r *Run) error
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var crashCases = []crashCase{
	{
		name:  "first batch",
		prior: func(t *testing.T, r *Run) {},
		op: func(r *Run) error {
			return r.CommitBatch(0, []Record{rec("AS1", 5), rec("AS2", 0)}, []DeadLetter{deadLetter("AS3", 503)})
		},
	},
	{
		name: "batch without dead letters",
		prior: func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 5)}, []DeadLetter{deadLetter("AS2", 503)}))
		},
		op: func(r *Run) error { return r.CommitBatch(1, []Record{rec("AS3", 7), rec("AS4", 1)}, nil) },
	},
	{
		name: "redo a batch whose nodes changed place",
		prior: func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 5), rec("AS2", 3)}, []DeadLetter{deadLetter("AS3", 503)}))
			must(t, r.CommitBatch(1, []Record{rec("AS4", 2)}, []DeadLetter{deadLetter("AS5", 429)}))
		},
		op: func(r *Run) error {
			return r.CommitBatch(0, []Record{rec("AS1", 5), rec("AS3", 9)}, []DeadLetter{deadLetter("AS2", 500)})
		},
	},
	{
		name: "retry dead letters",
		prior: func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 5)}, []DeadLetter{deadLetter("AS2", 503), deadLetter("AS3", 503)}))
			must(t, r.CommitBatch(1, nil, []DeadLetter{deadLetter("AS4", 429)}))
		},
		op: func(r *Run) error {
			return r.CommitRetry([]Record{rec("AS2", 4), rec("AS4", 8)}, []DeadLetter{deadLetter("AS3", 502)})
		},
	},
	{
		name: "redo a batch after a retry",
		prior: func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 5)}, []DeadLetter{deadLetter("AS2", 503), deadLetter("AS3", 503)}))
			must(t, r.CommitBatch(1, []Record{rec("AS7", 1)}, []DeadLetter{deadLetter("AS4", 503)}))
			must(t, r.CommitRetry([]Record{rec("AS2", 4), rec("AS3", 6), rec("AS4", 3)}, nil))
		},
		op: func(r *Run) error {
			return r.CommitBatch(0, []Record{rec("AS1", 5), rec("AS2", 4)}, []DeadLetter{deadLetter("AS3", 500)})
		},
	},
	{
		name: "planned batch on a retry batch's number",
		prior: func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 5)}, []DeadLetter{deadLetter("AS2", 503)}))
			must(t, r.CommitRetry([]Record{rec("AS2", 4)}, nil)) // takes number 1
		},
		op: func(r *Run) error {
			return r.CommitBatch(1, []Record{rec("AS5", 2)}, []DeadLetter{deadLetter("AS6", 404)})
		},
	},
}

// TestCommitCrashAtEveryStep stops each commit at each of its steps as a
// kill would (files half written stay, the lock names a dead process),
// reopens the folder, and checks that it holds either the state before
// the commit or the state after it, never a mix; then reruns the commit
// if needed and checks the result equals an uninterrupted run.
func TestCommitCrashAtEveryStep(t *testing.T) {
	pid := deadPID(t)
	for _, tc := range crashCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // fsync-bound: cases overlap their waits
			// An uninterrupted run, recording the steps of op.
			dir := t.TempDir()
			r := openRun(t, dir, nil)
			tc.prior(t, r)
			before := readState(t, dir)
			var steps []string
			r.hook = func(step string) error { steps = append(steps, step); return nil }
			must(t, tc.op(r))
			mustClose(t, r)
			after := readState(t, dir)
			if before.equal(after) {
				t.Fatal("op changes nothing: a test that cannot fail")
			}
			if len(steps) < 5 {
				t.Fatalf("only %d steps recorded: %q", len(steps), steps)
			}

			for i, step := range steps {
				t.Run(fmt.Sprintf("%02d %s", i, step), func(t *testing.T) {
					dir := t.TempDir()
					r := openRun(t, dir, nil)
					tc.prior(t, r)
					r.hook = func(s string) error {
						if s == step {
							return errors.New("killed")
						}
						return nil
					}
					if err := tc.op(r); !errors.Is(err, errCrash) {
						t.Fatalf("op: got %v, want the injected crash", err)
					}
					if err := tc.op(r); err == nil {
						t.Fatal("a Run whose commit failed accepted another commit")
					}
					must(t, r.lock.fl.Close()) // the kernel drops the lock of a killed process
					kill(t, dir, pid)
					// Readers that do not open the folder see a consistent state too.
					if got := readState(t, dir); !got.equal(before) && !got.equal(after) {
						t.Fatalf("before reopening, after a crash at %q readers see neither the old nor the new state:\n got    %v\n before %v\n after  %v",
							step, got, before, after)
					}

					r = openRun(t, dir, nil)
					if bad := leftovers(t, dir); len(bad) > 0 {
						t.Errorf("after reopening: leftover files %q", bad)
					}
					got := readState(t, dir)
					switch {
					case got.equal(before):
						must(t, tc.op(r)) // the rerun does the commit again
					case got.equal(after):
					default:
						t.Fatalf("after a crash at %q the folder holds neither the old nor the new state:\n got    %v\n before %v\n after  %v",
							step, got, before, after)
					}
					dl, err := r.DeadLetters()
					must(t, err)
					if len(dl) != len(after.dead) {
						t.Errorf("DeadLetters: %d, want %d", len(dl), len(after.dead))
					}
					mustClose(t, r)
					if got := readState(t, dir); !got.equal(after) {
						t.Fatalf("after the rerun:\n got  %v\n want %v", got, after)
					}
					if bad := leftovers(t, dir); len(bad) > 0 {
						t.Errorf("after the rerun: leftover files %q", bad)
					}
				})
			}
		})
	}
}
