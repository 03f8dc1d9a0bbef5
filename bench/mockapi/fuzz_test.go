package mockapi

import (
	"errors"
	"testing"
)

// Whatever a spec parser accepts, String gives back a spec it parses to
// the same value; whatever it rejects, it rejects with ErrSpec (no panic).
func FuzzSpecRoundTrip(f *testing.F) {
	for _, s := range []string{"", "none", "heavy", "heavy:8KiB:1.1:512MiB", "fixed:64KiB", "uniform:1:2",
		"lognormal:64KiB:1.5:1GiB", "fixed:20ms", "uniform:5ms:50ms", "lognormal:20ms:0.5,bw=10MB",
		"500=0.05,reset=0.02,stall=0.01", "503=1,seed=3,stall-for=1s", "AS1=503", "AS3333=3GiB,updates:5,reset@0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseSizeDist(s); err == nil {
			if back, err := ParseSizeDist(d.String()); err != nil || back != d.withDefaults() {
				t.Errorf("size-dist %q -> %q -> %+v, %v", s, d.String(), back, err)
			}
		} else if !errors.Is(err, ErrSpec) {
			t.Errorf("size-dist %q: error without ErrSpec: %v", s, err)
		}
		if l, err := ParseLatency(s); err == nil {
			if back, err := ParseLatency(l.String()); err != nil || back != l {
				t.Errorf("latency %q -> %q -> %+v, %v", s, l.String(), back, err)
			}
		} else if !errors.Is(err, ErrSpec) {
			t.Errorf("latency %q: error without ErrSpec: %v", s, err)
		}
		if fl, err := ParseFaults(s); err == nil {
			if back, err := ParseFaults(fl.String()); err != nil || back.String() != fl.String() {
				t.Errorf("faults %q -> %q -> %q, %v", s, fl.String(), back.String(), err)
			}
		} else if !errors.Is(err, ErrSpec) {
			t.Errorf("faults %q: error without ErrSpec: %v", s, err)
		}
		if res, o, err := ParseOverride(s); err == nil {
			if _, back, err := ParseOverride(res + "=" + o.String()); err != nil || back != o {
				t.Errorf("override %q -> %q -> %+v, %v", s, o.String(), back, err)
			}
		} else if !errors.Is(err, ErrSpec) {
			t.Errorf("override %q: error without ErrSpec: %v", s, err)
		}
	})
}
