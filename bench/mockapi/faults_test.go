package mockapi

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"
)

// Each fault, forced by an override, does what it says, with and without
// compression.
func TestEachFault(t *testing.T) {
	ov := map[string]Override{}
	for i, f := range AllFaults() {
		ov[fmt.Sprintf("AS%d", 100+i)] = Override{Fault: f, Size: 200 << 10}
	}
	ov["AS1"] = Override{Size: 200 << 10}
	inst := start(t, Config{Seed: 1, Overrides: ov, Faults: Faults{Stall: 20 * time.Millisecond}})
	c := client()
	for _, enc := range []string{"", "gzip", "zstd"} {
		// The correct body of the same size, for prefix checks.
		full := get(t, c, dataURL(inst, "AS1"))
		for i, f := range AllFaults() {
			res := fmt.Sprintf("AS%d", 100+i)
			r := get(t, c, dataURL(inst, res), "Accept-Encoding", enc)
			body := r.body
			if r.err == nil && r.header.Get("Content-Encoding") != "" && r.status == 200 {
				var err error
				switch r.header.Get("Content-Encoding") {
				case "gzip":
					body, err = gunzip(r.body)
				case "zstd":
					body, err = unzstd(r.body)
				}
				if err != nil && f != FaultTruncate {
					r.err = err // a cut compressed stream
				}
			}
			name := fmt.Sprintf("%s/%s", f, enc)
			switch f {
			case Fault500, Fault503:
				var b errorBody
				if r.status != map[Fault]int{Fault500: 500, Fault503: 503}[f] || json.Unmarshal(body, &b) != nil || b.StatusCode != r.status {
					t.Errorf("%s: status %d body %.100s", name, r.status, body)
				}
				if f == Fault503 && r.header.Get("Retry-After") == "" {
					t.Errorf("%s: no Retry-After", name)
				}
			case Fault502:
				if r.status != 502 || !strings.Contains(string(body), "Bad Gateway") {
					t.Errorf("%s: status %d body %.100s", name, r.status, body)
				}
			case FaultHTML:
				if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || json.Valid(body) {
					t.Errorf("%s: status %d type %q", name, r.status, r.header.Get("Content-Type"))
				}
			case FaultReset, FaultStall:
				if r.err == nil {
					t.Errorf("%s: the body read without error (%d bytes, status %d)", name, len(body), r.status)
				}
			case FaultTruncate:
				// Same size override, same seed: the bodies share their text
				// up to the resource name, so compare lengths only.
				if r.err != nil || r.status != 200 || json.Valid(body) || len(body) >= len(full.body) {
					t.Errorf("%s: err %v status %d, %d of %d bytes, valid %v", name, r.err, r.status, len(body), len(full.body), json.Valid(body))
				}
			case FaultLength:
				if r.err == nil && json.Valid(body) {
					t.Errorf("%s: a lying Content-Length went unnoticed: %d bytes read, valid JSON", name, len(body))
				}
			case FaultMaintenance, FaultError:
				var b parsedBody
				if r.err != nil || r.status != 200 || json.Unmarshal(body, &b) != nil || b.Status != string(f) || b.StatusCode == 200 {
					t.Errorf("%s: err %v status %d envelope status %q code %d", name, r.err, r.status, b.Status, b.StatusCode)
				}
			}
		}
	}
	st := inst.Server.Stats()
	for _, f := range AllFaults() {
		if st.Faults[f] != 3 {
			t.Errorf("stats: fault %s injected %d times, want 3", f, st.Faults[f])
		}
	}
}

// outcome summarises one answer for comparing runs.
func outcome(r response) string {
	return fmt.Sprintf("%d/%v/%d/%x", r.status, r.err != nil, len(r.body), sha256.Sum256(r.body))
}

// Faults are drawn per request from (seed, resource, attempt): the same
// seed and per-resource request order give the same outcomes, however the
// resources interleave, and a retrying client gets the right body.
func TestFaultsReproducible(t *testing.T) {
	faults, err := ParseFaults("500=0.15,503=0.1,reset=0.1,truncate=0.1,html=0.05,maintenance=0.05,length=0.05")
	if err != nil {
		t.Fatal(err)
	}
	faults.Stall = 10 * time.Millisecond
	// A fixed clock: error bodies carry the time.
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	cfg := Config{Seed: 5, Faults: faults, Now: clock.Now, Sizes: SizeDist{Kind: SizeUniform, Min: 2 << 10, Max: 64 << 10}}
	a, b := start(t, cfg), start(t, cfg)
	cfg.Faults.Seed = 6
	other := start(t, cfg)
	resources := []string{"AS1", "AS2", "AS3", "AS4"}
	const attempts = 12
	run := func(inst *Instance, order iter.Seq2[string, int]) map[string][]string {
		out := map[string][]string{}
		c := client()
		for res := range order {
			out[res] = append(out[res], outcome(get(t, c, dataURL(inst, res))))
		}
		return out
	}
	byResource := func(yield func(string, int) bool) {
		for _, r := range resources {
			for k := range attempts {
				if !yield(r, k) {
					return
				}
			}
		}
	}
	roundRobin := func(yield func(string, int) bool) {
		for k := range attempts {
			for _, r := range resources {
				if !yield(r, k) {
					return
				}
			}
		}
	}
	ra, rb, ro := run(a, byResource), run(b, roundRobin), run(other, byResource)
	differs, faulty := false, 0
	for _, res := range resources {
		if strings.Join(ra[res], " ") != strings.Join(rb[res], " ") {
			t.Errorf("%s: same seed, different outcomes:\n%v\n%v", res, ra[res], rb[res])
		}
		if strings.Join(ra[res], " ") != strings.Join(ro[res], " ") {
			differs = true
		}
		for _, o := range ra[res] {
			if !strings.HasPrefix(o, "200/false/") {
				faulty++
			}
		}
	}
	if !differs {
		t.Error("another fault seed gave the same outcomes")
	}
	if faulty == 0 {
		t.Error("no fault in 48 requests at a 60% fault rate")
	}

	// A retrying client ends up with the correct body for every resource.
	c := client()
	for _, res := range resources {
		want, err := a.Server.Truth(res, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; ; k++ {
			if k == 50 {
				t.Fatalf("%s: no correct body in 50 attempts", res)
			}
			r := get(t, c, dataURL(a, res))
			if r.err != nil || r.status != 200 || !json.Valid(r.body) {
				continue
			}
			var env parsedBody
			json.Unmarshal(r.body, &env)
			if env.Status != "ok" {
				continue
			}
			if got, _ := truthOfBody(t, r.body); !sameTruth(got, want) {
				t.Fatalf("%s: a 200 ok body with the wrong data: %+v, want %+v", res, got, want)
			}
			break
		}
	}
}

// Config.RetryAfter sets the unit of the Retry-After that 500 and 503
// faults send: whole seconds by default, decimal seconds otherwise.
func TestRetryAfterUnit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		unit time.Duration
		want map[Fault][]string // the values a fault may send
	}{
		{0, map[Fault][]string{Fault500: {"", "1"}, Fault503: {"1", "2"}}},
		{50 * time.Millisecond, map[Fault][]string{Fault500: {"", "0.05"}, Fault503: {"0.05", "0.1"}}},
	} {
		ov := map[string]Override{}
		for i := range 40 {
			ov[fmt.Sprintf("AS%d", 100+i)] = Override{Fault: []Fault{Fault500, Fault503}[i%2]}
		}
		inst := start(t, Config{Seed: 1, RetryAfter: tt.unit, Overrides: ov})
		c := client()
		seen := map[Fault]map[string]bool{Fault500: {}, Fault503: {}}
		for i := range 40 {
			f := []Fault{Fault500, Fault503}[i%2]
			r := get(t, c, dataURL(inst, fmt.Sprintf("AS%d", 100+i)))
			seen[f][r.header.Get("Retry-After")] = true
		}
		for f, want := range tt.want {
			if len(seen[f]) != len(want) {
				t.Errorf("unit %v: %s sent Retry-After %v, want each of %q", tt.unit, f, seen[f], want)
			}
			for _, v := range want {
				if !seen[f][v] {
					t.Errorf("unit %v: %s never sent Retry-After %q (sent %v)", tt.unit, f, v, seen[f])
				}
			}
		}
	}
}
