package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDeadLetters(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string // nodes, in order
		err   string
	}{
		{"committed", func(t *testing.T, dir string) {}, []string{"AS2", "AS9", "AS4"}, ""},
		{"killed before installing the staged file", func(t *testing.T, dir string) {
			// The commit of batch 1 got past the manifest; the staged dead
			// letters were not renamed into place.
			r := openRun(t, dir, nil)
			r.hook = func(step string) error {
				if step == "install "+deadName {
					return errCrash
				}
				return nil
			}
			if err := r.CommitBatch(1, []Record{rec("AS4", 1)}, []DeadLetter{deadLetter("AS5", 500)}); err == nil {
				t.Fatal("no injected crash")
			}
		}, []string{"AS2", "AS9", "AS5"}, ""},
		{"changed outside sluice", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, deadName), []byte{}, 0o644))
		}, nil, "dead-letter.ndjson: sha256 e3b0c442"},
		{"no manifest", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, manifestName)))
		}, nil, "manifest.json: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := openRun(t, dir, nil)
			must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS9", 503), deadLetter("AS2", 429)}))
			must(t, r.CommitBatch(1, nil, []DeadLetter{deadLetter("AS4", 500)}))
			mustClose(t, r)
			tc.setup(t, dir)
			dead, err := ReadDeadLetters(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			must(t, err)
			var nodes []string
			for _, d := range dead {
				nodes = append(nodes, d.Node)
			}
			if strings.Join(nodes, " ") != strings.Join(tc.want, " ") {
				t.Errorf("dead letters %q, want %q", nodes, tc.want)
			}
		})
	}
}
