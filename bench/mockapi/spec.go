package mockapi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrSpec is wrapped by every spec parse error.
var ErrSpec = errors.New("bad spec")

func specErr(what, s, format string, args ...any) error {
	return fmt.Errorf("mockapi: %w: %s %q: %s", ErrSpec, what, s, fmt.Sprintf(format, args...))
}

// byteUnits are the suffixes ParseBytes accepts, longest first.
var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// ParseBytes parses a size like "64KiB", "3GiB", "1.5MB", "500" (bytes).
// Binary (KiB) and decimal (KB) units are both accepted; K, M, G are binary.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v*mult > 1<<50 {
		return 0, specErr("size", s, "want a non-negative number of bytes with an optional unit (B, KiB, MiB, GiB, KB, MB, GB), e.g. 64KiB")
	}
	return int64(v * mult), nil
}

// splitSpec splits "kind:a:b" into its kind and arguments.
func splitSpec(s string) (string, []string) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	return strings.ToLower(parts[0]), parts[1:]
}

func parseDur(what, spec, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, specErr(what, spec, "%q is not a non-negative duration like 20ms", s)
	}
	return d, nil
}

func parseProb(what, spec, s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v <= 1) {
		return 0, specErr(what, spec, "%q is not a rate in [0, 1]", s)
	}
	return v, nil
}

// firstErr returns the first non-nil error: a spec error names one problem.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
