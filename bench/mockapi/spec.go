package mockapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/units"
)

// ErrSpec is wrapped by every spec parse error.
var ErrSpec = errors.New("bad spec")

func specErr(what, s, format string, args ...any) error {
	return fmt.Errorf("mockapi: %w: %s %q: %s", ErrSpec, what, s, fmt.Sprintf(format, args...))
}

// ParseBytes parses a size of a spec like "64KiB", "3GiB", "1.5MB", "500"
// (bytes) with units.ParseSize, the parser of every size flag, and caps it
// at 1 PiB.
func ParseBytes(s string) (int64, error) {
	v, err := units.ParseSize(s)
	if err != nil || v > 1<<50 {
		return 0, specErr("size", s, "want a non-negative number of bytes with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; any case), e.g. 64KiB")
	}
	return v, nil
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
