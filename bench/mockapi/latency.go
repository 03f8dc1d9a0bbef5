package mockapi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// LatencyKind names a time-to-first-byte distribution.
type LatencyKind string

// The latency distributions. The zero LatencyKind means none.
const (
	LatencyNone      LatencyKind = ""
	LatencyFixed     LatencyKind = "fixed"     // always A
	LatencyUniform   LatencyKind = "uniform"   // uniform in [A, B]
	LatencyLognormal LatencyKind = "lognormal" // median A, shape Sigma
)

// Latency is the delay before the first byte of each data answer and the
// bandwidth of its body. The zero value adds no delay and no cap.
type Latency struct {
	Kind  LatencyKind
	A, B  time.Duration
	Sigma float64
	// BytesPerSecond caps the wire bytes of each answer; 0 means no cap.
	BytesPerSecond float64
}

// maxTTFB bounds a lognormal draw so that one unlucky request cannot hang
// a test run.
const maxTTFB = time.Minute

// ParseLatency parses a TTFB spec: "" or "none", "fixed:20ms",
// "uniform:5ms:50ms", "lognormal:20ms:0.5" (median, sigma). A trailing
// ",bw=10MB" (per second) sets BytesPerSecond.
func ParseLatency(s string) (Latency, error) {
	var l Latency
	spec := s
	if i := lastComma(s); i >= 0 {
		bw := s[i+1:]
		if len(bw) < 3 || bw[:3] != "bw=" {
			return l, specErr("latency", spec, "after the comma want bw=SIZE (bytes per second), got %q", bw)
		}
		v, err := ParseBytes(bw[3:])
		if err != nil {
			return l, fmt.Errorf("latency %q: %w", spec, err)
		}
		l.BytesPerSecond = float64(v)
		s = s[:i]
	}
	kind, args := splitSpec(s)
	var err error
	switch LatencyKind(kind) {
	case "", "none", "0":
		if len(args) != 0 {
			return l, specErr("latency", spec, "none takes no arguments")
		}
		return l, nil
	case LatencyFixed:
		if len(args) != 1 {
			return l, specErr("latency", spec, "want fixed:DURATION, e.g. fixed:20ms")
		}
		l.Kind = LatencyFixed
		l.A, err = parseDur("latency", spec, args[0])
	case LatencyUniform:
		if len(args) != 2 {
			return l, specErr("latency", spec, "want uniform:MIN:MAX, e.g. uniform:5ms:50ms")
		}
		l.Kind = LatencyUniform
		if l.A, err = parseDur("latency", spec, args[0]); err == nil {
			l.B, err = parseDur("latency", spec, args[1])
		}
		if err == nil && l.B < l.A {
			err = specErr("latency", spec, "max %v is below min %v", l.B, l.A)
		}
	case LatencyLognormal:
		if len(args) != 2 {
			return l, specErr("latency", spec, "want lognormal:MEDIAN:SIGMA, e.g. lognormal:20ms:0.5")
		}
		l.Kind = LatencyLognormal
		if l.A, err = parseDur("latency", spec, args[0]); err == nil {
			l.Sigma, err = strconv.ParseFloat(args[1], 64)
			if err != nil || !(l.Sigma >= 0 && l.Sigma <= 10) {
				err = specErr("latency", spec, "sigma %q is not a number in [0, 10]", args[1])
			}
		}
	default:
		return l, specErr("latency", spec, "unknown distribution %q (want none, fixed, uniform or lognormal)", kind)
	}
	return l, err
}

func lastComma(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ',' {
			return i
		}
	}
	return -1
}

// String returns the spec ParseLatency reads back.
func (l Latency) String() string {
	var s string
	switch l.Kind {
	case LatencyFixed:
		s = "fixed:" + l.A.String()
	case LatencyUniform:
		s = "uniform:" + l.A.String() + ":" + l.B.String()
	case LatencyLognormal:
		s = "lognormal:" + l.A.String() + ":" + strconv.FormatFloat(l.Sigma, 'g', -1, 64)
	default:
		s = "none"
	}
	if l.BytesPerSecond > 0 {
		s += ",bw=" + strconv.FormatFloat(l.BytesPerSecond, 'f', -1, 64)
	}
	return s
}

// draw returns one TTFB.
func (l Latency) draw(r *rand.Rand) time.Duration {
	switch l.Kind {
	case LatencyFixed:
		return l.A
	case LatencyUniform:
		return l.A + time.Duration(r.Int64N(int64(l.B-l.A)+1))
	case LatencyLognormal:
		d := float64(l.A) * math.Exp(l.Sigma*r.NormFloat64())
		return time.Duration(min(d, float64(maxTTFB)))
	}
	return 0
}
