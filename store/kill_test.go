package store

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// killBatches is the plan of the child in TestKillAndRerun: 24 batches of
// 4 nodes; the last node of every third batch fails, and a retry rescues
// the even-numbered ones.
const killBatches = 24

func killBatch(b int) ([]Record, []DeadLetter) {
	var recs []Record
	var dead []DeadLetter
	for i := range 4 {
		node := fmt.Sprintf("AS%d", 64500+4*b+i)
		if i == 3 && b%3 == 0 {
			d := deadLetter(node, 503)
			d.Time = t0
			dead = append(dead, d)
			continue
		}
		recs = append(recs, rec(node, int64(4*b+i)))
	}
	return recs, dead
}

// killChild is the process that TestKillAndRerun kills: it resumes the
// run in dir, saying on stdout when each commit is done.
func killChild(dir string) error {
	r, err := Open(dir, testParams, OpenOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	for b := range killBatches {
		if r.Completed(b) {
			continue
		}
		recs, dead := killBatch(b)
		if err := r.CommitBatch(b, recs, dead); err != nil {
			return err
		}
		fmt.Println("batch", b)
	}
	dead, err := r.DeadLetters()
	if err != nil {
		return err
	}
	for _, d := range dead {
		var n int
		fmt.Sscanf(d.Node, "AS%d", &n)
		if n%2 == 1 {
			continue // fails for good
		}
		if err := r.CommitRetry([]Record{rec(d.Node, 1000)}, nil); err != nil {
			return err
		}
		fmt.Println("retry", d.Node)
	}
	fmt.Println("done")
	return nil
}

// TestKillAndRerun runs the child, SIGKILLs it after a random number of
// commits (so the kill lands somewhere in the next one), and reruns it
// until it finishes. The folder must then hold what an uninterrupted run
// gives, byte for byte in the batch files, with no temp file left.
func TestKillAndRerun(t *testing.T) {
	if dir := os.Getenv("SLUICE_STORE_KILL_CHILD"); dir != "" {
		if err := killChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	t.Parallel() // mostly waiting for children
	clean := t.TempDir()
	if err := killChildIn(t, clean, -1); err != nil {
		t.Fatalf("uninterrupted run: %v", err)
	}
	want := readState(t, clean)

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	kills, halfDone := 0, 0
	for round := 0; ; round++ {
		if round == 60 {
			t.Fatalf("not done after %d runs", round)
		}
		err := killChildIn(t, dir, rng.IntN(4))
		if err == nil {
			break
		}
		if err != errKilled {
			t.Fatalf("run %d: %v", round, err)
		}
		kills++
		if len(leftovers(t, dir)) > 0 {
			halfDone++ // killed inside a commit, with files to clean up
		}
		// Between runs the folder is consistent: every node at most once
		// (readState checks it), and nothing outside the plan.
		s := readState(t, dir)
		for node := range s.recs {
			if _, ok := want.recs[node]; !ok {
				if _, ok := want.dead[node]; !ok {
					t.Fatalf("after kill %d: unknown node %s", kills, node)
				}
			}
		}
	}
	if kills < 3 {
		t.Errorf("only %d kills: the test did not interrupt the run", kills)
	}
	if got := readState(t, dir); !got.equal(want) {
		t.Fatalf("after %d kills:\n got  %v\n want %v", kills, got, want)
	}
	if bad := leftovers(t, dir); len(bad) > 0 {
		t.Errorf("leftover files %q", bad)
	}
	if !lockFree(t, dir) {
		t.Error("lock still held")
	}
	for b := range killBatches {
		name := batchName(b)
		a, err := os.ReadFile(filepath.Join(clean, name))
		must(t, err)
		g, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		if !bytes.Equal(a, g) {
			t.Errorf("%s differs from the uninterrupted run's", name)
		}
	}
	t.Logf("%d kills, %d of them inside a commit with temp or staged files left", kills, halfDone)
}

var errKilled = fmt.Errorf("killed")

// killChildIn runs the child on dir and kills it after `after` lines of
// output (never, if after < 0). It returns nil if the child finished,
// errKilled if it was killed first.
func killChildIn(t *testing.T, dir string, after int) error {
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillAndRerun$")
	cmd.Env = append(os.Environ(), "SLUICE_STORE_KILL_CHILD="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	lines, done, killed := 0, false, false
	for sc.Scan() {
		lines++
		done = done || sc.Text() == "done"
		if after >= 0 && lines > after && !done {
			must(t, cmd.Process.Kill())
			killed = true
			break
		}
	}
	werr := cmd.Wait()
	switch {
	case killed:
		return errKilled
	case werr != nil:
		return fmt.Errorf("%v: %s", werr, stderr.Bytes())
	case !done:
		return fmt.Errorf("child exited without finishing: %s", stderr.Bytes())
	}
	return nil
}
