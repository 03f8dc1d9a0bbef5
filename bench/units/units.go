// Package units reads and writes byte sizes the one way every sluice
// command and spec does: "64KiB", "16GiB", "10MB", "1.5GiB", "4096";
// units are case-insensitive, binary (KiB … TiB, and K, M, G, T) or
// decimal (KB … TB).
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize accepts, longest first so that
// "MiB" is not read as "M" followed by junk.
var sizeUnits = [...]struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseSize parses a byte count such as "64MiB", "1 GiB", "512k"
// (binary), "100MB" (decimal) or "4096". Fractions are allowed
// ("1.5GiB"); the result is rounded to a whole byte.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("size %q: want a number of bytes like 4096, 64KiB, 16GiB or 10MB", s)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(math.Round(v)), nil
}

// FormatSize writes a byte count in binary units for people: "64 MiB",
// "1.5 GiB", "812 B"; three significant digits at most.
func FormatSize(b int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(b), 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return TrimNumber(v) + " " + units[i]
}

// ExactSize writes a byte count so that ParseSize reads it back exactly:
// the largest binary unit that divides it ("16GiB", "64KiB"), else bytes.
func ExactSize(b int64) string {
	for _, u := range [...]struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && b%u.mult == 0 {
			return strconv.FormatInt(b/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(b, 10)
}

// TrimNumber formats v with up to three significant digits and no
// trailing zeros: 64, 1.5, 0.25, 123.
func TrimNumber(v float64) string {
	var s string
	switch a := math.Abs(v); {
	case a >= 100 || a == math.Trunc(a):
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Size is a byte count as a command-line flag value (flag.Value): Set
// reads it with ParseSize, String writes it with ExactSize, so help
// shows "16GiB" rather than 17179869184.
type Size int64

// Set parses s into z.
func (z *Size) Set(s string) error {
	v, err := ParseSize(s)
	if err != nil {
		return err
	}
	*z = Size(v)
	return nil
}

// String is the exact size, e.g. "64KiB".
func (z *Size) String() string {
	if z == nil {
		return "0"
	}
	return ExactSize(int64(*z))
}
