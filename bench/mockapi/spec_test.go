package mockapi

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"500", 500}, {"64KiB", 64 << 10}, {"3GiB", 3 << 30}, {"1.5MB", 1_500_000},
		{"10K", 10 << 10}, {"2M", 2 << 20}, {" 7 MiB ", 7 << 20}, {"12B", 12},
	}
	for _, c := range good {
		if got, err := ParseBytes(c.in); err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "KiB", "-1", "1XB", "abc", "1e30GiB", "NaN"} {
		if _, err := ParseBytes(in); !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), "size") {
			t.Errorf("ParseBytes(%q): error %v, want a size ErrSpec", in, err)
		}
	}
}

func TestParseLatency(t *testing.T) {
	good := []struct {
		in   string
		want Latency
	}{
		{"", Latency{}},
		{"none", Latency{}},
		{"fixed:20ms", Latency{Kind: LatencyFixed, A: 20 * time.Millisecond}},
		{"uniform:5ms:50ms", Latency{Kind: LatencyUniform, A: 5 * time.Millisecond, B: 50 * time.Millisecond}},
		{"lognormal:20ms:0.5", Latency{Kind: LatencyLognormal, A: 20 * time.Millisecond, Sigma: 0.5}},
		{"fixed:1ms,bw=10MB", Latency{Kind: LatencyFixed, A: time.Millisecond, BytesPerSecond: 10e6}},
		{"none,bw=1MiB", Latency{BytesPerSecond: 1 << 20}},
	}
	for _, c := range good {
		got, err := ParseLatency(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseLatency(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseLatency(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q via %q: %+v, %v", c.in, got.String(), back, err)
		}
	}
	bad := []struct{ in, mention string }{
		{"fixed", "fixed:DURATION"},
		{"fixed:abc", `"abc"`},
		{"uniform:50ms:5ms", "below min"},
		{"lognormal:20ms", "MEDIAN:SIGMA"},
		{"lognormal:20ms:-1", "sigma"},
		{"gamma:1ms", "unknown distribution"},
		{"fixed:1ms,bandwidth=3", "bw=SIZE"},
		{"fixed:1ms,bw=fast", "size"},
		{"fixed:-1ms", "non-negative"},
	}
	for _, c := range bad {
		_, err := ParseLatency(c.in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("ParseLatency(%q): error %v, want one mentioning %q", c.in, err, c.mention)
		}
	}
}

func TestParseSizeDist(t *testing.T) {
	good := []struct {
		in   string
		want SizeDist
	}{
		{"heavy", SizeDist{Kind: SizeHeavy, Min: DefaultHeavyMin, Alpha: DefaultHeavyAlpha, Max: DefaultHeavyMax}},
		{"", SizeDist{Kind: SizeHeavy, Min: DefaultHeavyMin, Alpha: DefaultHeavyAlpha, Max: DefaultHeavyMax}},
		{"heavy:16KiB:1.5:1GiB", SizeDist{Kind: SizeHeavy, Min: 16 << 10, Alpha: 1.5, Max: 1 << 30}},
		{"fixed:64KiB", SizeDist{Kind: SizeFixed, Min: 64 << 10, Max: 64 << 10}},
		{"uniform:10KiB:1MiB", SizeDist{Kind: SizeUniform, Min: 10 << 10, Max: 1 << 20}},
		{"lognormal:64KiB:1.5", SizeDist{Kind: SizeLognormal, Min: 64 << 10, Alpha: 1.5, Max: DefaultHeavyMax}},
		{"lognormal:64KiB:1.5:2GiB", SizeDist{Kind: SizeLognormal, Min: 64 << 10, Alpha: 1.5, Max: 2 << 30}},
	}
	for _, c := range good {
		got, err := ParseSizeDist(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSizeDist(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseSizeDist(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q via %q: %+v, %v", c.in, got.String(), back, err)
		}
	}
	bad := []struct{ in, mention string }{
		{"fixed", "fixed:SIZE"},
		{"fixed:big", "argument 1"},
		{"uniform:1MiB:10KiB", "below min"},
		{"heavy:1KiB:0:1MiB", "shape"},
		{"heavy:1KiB", "heavy:MIN:ALPHA:MAX"},
		{"zipf:1", "unknown distribution"},
		{"lognormal:1KiB:1:x", "argument 3"},
	}
	for _, c := range bad {
		_, err := ParseSizeDist(c.in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("ParseSizeDist(%q): error %v, want one mentioning %q", c.in, err, c.mention)
		}
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("500=0.05,reset=0.02,stall=0.01,seed=9,stall-for=3s")
	if err != nil {
		t.Fatal(err)
	}
	if f.Rates[Fault500] != 0.05 || f.Rates[FaultReset] != 0.02 || f.Rates[FaultStall] != 0.01 || f.Seed != 9 || f.Stall != 3*time.Second || len(f.Rates) != 3 {
		t.Fatalf("got %+v", f)
	}
	back, err := ParseFaults(f.String())
	if err != nil || back.String() != f.String() {
		t.Fatalf("round trip via %q: %+v %v", f.String(), back, err)
	}
	for _, in := range []string{"", "none"} {
		if f, err := ParseFaults(in); err != nil || len(f.Rates) != 0 {
			t.Errorf("ParseFaults(%q) = %+v, %v", in, f, err)
		}
	}
	bad := []struct{ in, mention string }{
		{"500", "NAME=VALUE"},
		{"404=0.1", `unknown fault "404"`},
		{"500=1.5", "rate in [0, 1]"},
		{"500=x", "rate in [0, 1]"},
		{"500=0.6,503=0.6", "more than 1"},
		{"500=0.1,500=0.2", "twice"},
		{"seed=-1", "seed"},
		{"stall-for=soon", "duration"},
	}
	for _, c := range bad {
		_, err := ParseFaults(c.in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("ParseFaults(%q): error %v, want one mentioning %q", c.in, err, c.mention)
		}
	}
}

func TestParseOverride(t *testing.T) {
	good := []struct {
		in, res string
		want    Override
	}{
		{"AS3333=3GiB", "AS3333", Override{Size: 3 << 30}},
		{"AS1=503", "AS1", Override{Fault: Fault503, FaultRate: 1}},
		{"193.0.0.0/21=reset@0.3,updates:500", "193.0.0.0/21", Override{Fault: FaultReset, FaultRate: 0.3, Updates: 500}},
		{"AS2=size:1MiB,stall", "AS2", Override{Size: 1 << 20, Fault: FaultStall, FaultRate: 1}},
	}
	for _, c := range good {
		res, o, err := ParseOverride(c.in)
		if err != nil || res != c.res || o != c.want {
			t.Errorf("ParseOverride(%q) = %q %+v %v; want %q %+v", c.in, res, o, err, c.res, c.want)
			continue
		}
		_, back, err := ParseOverride(res + "=" + o.String())
		if err != nil || back != o {
			t.Errorf("round trip of %q via %q: %+v %v", c.in, o.String(), back, err)
		}
	}
	bad := []struct{ in, mention string }{
		{"AS1", "RESOURCE=ITEM"},
		{"=3GiB", "RESOURCE=ITEM"},
		{"AS1=", "RESOURCE=ITEM"},
		{"AS1=huge", "neither a size"},
		{"AS1=updates:-3", "updates:N"},
		{"AS1=500@2", "rate in [0, 1]"},
		{"AS1=503@0", "rate above 0"},
		{"AS1=size:x", "size"},
		{"AS1=0", "neither a size"},
		{"AS1=size:0", "above 0"},
		{"bogus=3GiB", "not a valid ASN"},
	}
	for _, c := range bad {
		_, _, err := ParseOverride(c.in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("ParseOverride(%q): error %v, want one mentioning %q", c.in, err, c.mention)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []struct {
		name    string
		cfg     Config
		mention string
	}{
		{"negative limit", Config{Limit: -1}, "Limit"},
		{"negative window", Config{Window: -time.Second}, "Window"},
		{"rates over 1", Config{Faults: Faults{Rates: map[Fault]float64{Fault500: 0.7, FaultReset: 0.7}}}, "more than 1"},
		{"unknown fault", Config{Faults: Faults{Rates: map[Fault]float64{"boom": 0.1}}}, "unknown fault"},
		{"bad override", Config{Overrides: map[string]Override{"AS1": {Fault: "boom"}}}, "Overrides"},
		{"bad sizes", Config{Sizes: SizeDist{Kind: SizeUniform, Min: 10, Max: 5}}, "Sizes"},
	}
	for _, c := range bad {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: New error %v, want one mentioning %q", c.name, err, c.mention)
		}
	}
	if _, err := New(Config{}); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}
