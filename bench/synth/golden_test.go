package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/testenv"
)

// The bytes of a body are part of the contract (captures, benchmarks and
// other people's tests depend on them): a change must be deliberate.
func TestGolden(t *testing.T) {
	day := time.Date(2026, 8, 18, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		o    Options
	}{
		{"compact", Options{Resource: "AS3333", Seed: 1, Updates: 4}},
		{"pretty", Options{Resource: "193.0.0.0/21", Seed: 2, Updates: 3, Pretty: true}},
		{"unix", Options{Resource: "AS1103", Seed: 5, Updates: 3, UnixTimestamps: true, Start: day, End: day.Add(time.Hour)}},
		{"maintenance", Options{Resource: "AS1", Seed: 3, Updates: 1, Status: "maintenance"}},
		{"empty", Options{Resource: "AS2", Seed: 4}},
	}
	for _, c := range cases {
		path := filepath.Join("testdata", "golden", c.name+".json")
		got := readAll(t, c.o)
		if testenv.Update() {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run TestGolden -update)", c.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: body differs from %s:\n got %.300s\nwant %.300s", c.name, path, got, want)
		}
	}
}
