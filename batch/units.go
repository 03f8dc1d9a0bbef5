package batch

import (
	"fmt"
	"time"
)

// HumanBytes formats n bytes for people, in decimal units with three
// significant digits: "512 B", "33.1 KB", "4.20 MB", "1.05 GB".
func HumanBytes(n int64) string {
	if n < 1000 && n > -1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		if f < 999.5 && f > -999.5 || u == "PB" {
			return sig3(f) + " " + u
		}
	}
	panic("unreachable")
}

// HumanRSS formats a memory size in binary units, as ps and top do:
// "45.0 MiB", "3.50 GiB".
func HumanRSS(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1 << 10
		if f < 1023.5 || u == "TiB" {
			return sig3(f) + " " + u
		}
	}
	panic("unreachable")
}

// sig3 prints f with three significant digits (more for f >= 1000).
func sig3(f float64) string {
	a := max(f, -f)
	switch {
	case a >= 99.95:
		return fmt.Sprintf("%.0f", f)
	case a >= 9.995:
		return fmt.Sprintf("%.1f", f)
	default:
		return fmt.Sprintf("%.2f", f)
	}
}

// Plural writes n and the noun, with an "s" unless n is 1: "1 node",
// "3 nodes". Nouns with another plural pass it as plural.
func Plural(n int64, noun string, plural ...string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	if len(plural) > 0 {
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// humanDuration rounds d for people: "850ms", "12.3s", "4m05s", "2h03m".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + humanDuration(-d)
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute && d%time.Second == 0:
		return d.String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}
