package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOpenParamsMismatch(t *testing.T) {
	tests := []struct {
		field  string
		change func(p *Params)
	}{
		{"URL", func(p *Params) { p.URL += "&x=1" }},
		{"Paths", func(p *Params) { p.Paths = []string{"data.events[*].timestamp"} }},
		{"Paths", testParamsPathsSplit},
		{"Mode", func(p *Params) { p.Mode = "regex" }},
		{"Start", func(p *Params) { p.Start = "2022-09-11T00:00:00Z" }},
		{"End", func(p *Params) { p.End = "2022-09-14T00:00:00Z" }},
		{"BatchSize", func(p *Params) { p.BatchSize = 128 }},
		{"Shard", func(p *Params) { p.Shard = "1/2" }},
		{"Bucket", func(p *Params) { p.Bucket = "15m" }},
		{"Unit", func(p *Params) { p.Unit = "ms" }},
		{"NodesSHA256", func(p *Params) { p.NodesSHA256 = "00" }},
	}
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, nil))
	mustClose(t, r)
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			p := testParams
			p.Paths = append([]string(nil), p.Paths...)
			tc.change(&p)
			_, err := Open(dir, p, OpenOptions{})
			if !errors.Is(err, ErrParamsMismatch) {
				t.Fatalf("Open: got %v, want ErrParamsMismatch", err)
			}
			if !strings.Contains(err.Error(), tc.field+" is ") || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the field %s and the folder", err, tc.field)
			}
		})
	}
	// A refused Open releases the lock: the right params still open.
	mustClose(t, openRun(t, dir, nil))
}

// TestOpenEmptyRunOtherParams: a folder whose run committed nothing is
// taken over by a run with other params, with a warning.
func TestOpenEmptyRunOtherParams(t *testing.T) {
	dir := t.TempDir()
	mustClose(t, openRun(t, dir, nil))
	p := testParams
	p.Mode = "regex"
	var logs bytes.Buffer
	r, err := Open(dir, p, OpenOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	must(t, err)
	must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, nil))
	mustClose(t, r)
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), `Mode is \"stream\" in the folder`) {
		t.Errorf("no warning naming the field: %q", logs.String())
	}
	if _, err := Open(dir, testParams, OpenOptions{}); !errors.Is(err, ErrParamsMismatch) {
		t.Errorf("the first params after a commit with the second: %v, want ErrParamsMismatch", err)
	}
}

// testParamsPathsSplit makes Paths differ only in where a space falls:
// {"a b"} against the folder's two paths joined differently.
func testParamsPathsSplit(p *Params) {
	p.Paths = []string{testParams.Paths[0] + " " + testParams.Paths[1]}
}

func TestLock(t *testing.T) {
	t.Run("live", func(t *testing.T) {
		dir := t.TempDir()
		r := openRun(t, dir, nil)
		defer mustClose(t, r)
		_, err := Open(dir, testParams, OpenOptions{})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: got %v, want ErrLocked", err)
		}
		if pid := strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), "process "+pid) {
			t.Errorf("error %q does not name PID %s", err, pid)
		}
	})
	t.Run("stale", func(t *testing.T) {
		dir := t.TempDir()
		mustClose(t, openRun(t, dir, nil))
		pid := deadPID(t)
		kill(t, dir, pid)
		var logs bytes.Buffer
		r := openRun(t, dir, &logs)
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), fmt.Sprintf("pid=%d", pid)) {
			t.Errorf("no warning naming PID %d in logs: %q", pid, logs.String())
		}
		if got := readLockPID(filepath.Join(dir, lockName)); got != os.Getpid() {
			t.Errorf("lock holds %d; want this process %d", got, os.Getpid())
		}
		mustClose(t, r)
	})
	t.Run("garbage in an unheld lock file", func(t *testing.T) {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, lockName), []byte("garbage"), 0o644))
		mustClose(t, openRun(t, dir, nil))
	})
	t.Run("held by a process that was killed", func(t *testing.T) {
		// The lock dies with its holder: a child that holds it is killed
		// with SIGKILL, and the folder opens at once, without a takeover
		// that two processes could race for.
		dir := t.TempDir()
		mustClose(t, openRun(t, dir, nil))
		child := lockHolder(t, dir)
		if _, err := Open(dir, testParams, OpenOptions{}); !errors.Is(err, ErrLocked) ||
			!strings.Contains(err.Error(), fmt.Sprintf("process %d", child.Process.Pid)) {
			t.Fatalf("Open while the child holds the lock: %v, want ErrLocked naming PID %d", err, child.Process.Pid)
		}
		must(t, child.Process.Kill())
		child.Wait()
		var logs bytes.Buffer
		r := openRun(t, dir, &logs)
		if !strings.Contains(logs.String(), fmt.Sprintf("pid=%d", child.Process.Pid)) {
			t.Errorf("no warning naming the killed PID %d: %q", child.Process.Pid, logs.String())
		}
		mustClose(t, r)
	})
	t.Run("released by Close", func(t *testing.T) {
		dir := t.TempDir()
		r := openRun(t, dir, nil)
		mustClose(t, r)
		if !lockFree(t, dir) {
			t.Error("lock still held after Close")
		}
		if pid := readLockPID(filepath.Join(dir, lockName)); pid != 0 {
			t.Errorf("lock file still names PID %d after Close", pid)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := r.CommitBatch(0, nil, nil); err == nil {
			t.Error("CommitBatch after Close succeeded")
		}
		if _, err := r.DeadLetters(); err == nil {
			t.Error("DeadLetters after Close succeeded")
		}
	})
}

// TestOpenCleansUp: files that a killed run leaves (temp files, batch
// files that never got committed, staged files) are removed.
func TestOpenCleansUp(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 500)}))
	mustClose(t, r)
	junk := []string{
		tempPrefix + "batch-000001.ndjson.zst-123",
		tempPrefix + manifestName + "-9",
		batchName(7),
		deadNextName,
		batchName(0) + nextSuffix,
	}
	for _, name := range junk {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o644))
	}
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	var logs bytes.Buffer
	r = openRun(t, dir, &logs)
	defer mustClose(t, r)
	for _, name := range junk {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", name, err)
		}
		if !strings.Contains(logs.String(), name) {
			t.Errorf("removal of %s not logged", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("a file that is not the run's was touched: %v", err)
	}
	if !r.Completed(0) {
		t.Error("batch 0 not completed after cleanup")
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string) error
		want  string // in the error
	}{
		{"batch files without manifest", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, batchName(0)), nil, 0o644)
		}, "no manifest.json"},
		{"manifest not JSON", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o644)
		}, "manifest.json: unexpected end"},
		{"manifest of another version", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"version":9}`), 0o644)
		}, "manifest.json: version 9"},
		{"manifest naming a file outside the folder", func(dir string) error {
			return editManifest(dir, func(m *manifest) { m.Batches[0].File = "../../etc/passwd" })
		}, `manifest.json: batch 0: file "../../etc/passwd"`},
		{"manifest listing a batch twice", func(dir string) error {
			return editManifest(dir, func(m *manifest) { m.Batches = append(m.Batches, m.Batches[0]) })
		}, "manifest.json: batch 0: out of order or listed twice"},
		// A folder of an older sluice does not say which batches had dead
		// letters, so their loss cannot be redone (TestDamageEveryKindOfFile
		// has the folders that can).
		{"dead letters changed, folder of an older sluice", func(dir string) error {
			must(t, editManifest(dir, func(m *manifest) { m.DeadLetters.Batches = nil }))
			return os.WriteFile(filepath.Join(dir, deadName), []byte(`{"node":"AS9"}`+"\n"), 0o644)
		}, "dead-letter.ndjson: sha256"},
		{"dead letters removed, folder of an older sluice", func(dir string) error {
			must(t, editManifest(dir, func(m *manifest) { m.DeadLetters.Batches = nil }))
			return os.Remove(filepath.Join(dir, deadName))
		}, "dead-letter.ndjson: sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if !strings.Contains(tc.name, "without manifest") {
				r := openRun(t, dir, nil)
				must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 500)}))
				mustClose(t, r)
			}
			must(t, tc.setup(dir))
			_, err := Open(dir, testParams, OpenOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: got %v, want an error containing %q", err, tc.want)
			}
			if !lockFree(t, dir) {
				t.Error("refused Open kept its lock")
			}
		})
	}
}

func editManifest(dir string, edit func(*manifest)) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	edit(&m)
	data, err := m.encode()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, manifestName), data, 0o644)
}
