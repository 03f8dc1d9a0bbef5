package batch

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// The bar is laid out to the terminal's width, read again before every
// redraw (an ioctl, once per Interval), so a resized pane gets a fitting
// line at the next tick. A line never reaches the last column: some
// terminals wrap as soon as it is written, and a wrapped bar leaves its
// first row behind at every redraw.

const (
	barMax     = 24 // widest bar, in cells
	barMin     = 10 // narrower than this, the bar is dropped before the figures
	barDefault = 80 // width when the writer is not a terminal
)

// termWidth returns a function reading the width of f's terminal; 80
// when f is not one.
func termWidth(f *os.File) func() int {
	return func() int {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
		return barDefault
	}
}

// A barPart is one figure of the bar line. When the line does not fit,
// the parts of lowest keep go first; the bar itself has keep barKeep.
type barPart struct {
	text string
	keep int
}

const barKeep = 6

// barLine lays out s in at most width-1 cells. rate is nodes/s and
// byteRate bytes/s, both smoothed; eta < 0 is unknown.
func barLine(s snapshot, rate, byteRate float64, eta time.Duration, width int) string {
	frac := 1.0
	if s.Total > 0 {
		frac = min(1, float64(s.Done)/float64(s.Total))
	}
	parts := []barPart{
		{fmt.Sprintf("%.1f%%", frac*100), 10},
		{fmt.Sprintf("%d/%d nodes", s.Done, s.Total), 9},
		{fmt.Sprintf("%.1f nodes/s", rate), 8},
		{HumanBytes(int64(byteRate)) + "/s", 4},
		{fmt.Sprintf("in flight %d", s.InFlight), 2},
		{fmt.Sprintf("retries %d", s.Retries), 3},
		{fmt.Sprintf("429s %d", s.Status429), 3},
		{fmt.Sprintf("dead %d", s.Dead), 5},
		{humanDuration(s.Elapsed), 1},
	}
	if eta >= 0 {
		parts = append(parts, barPart{"ETA " + humanDuration(eta), 7})
	}
	if s.Memory.RSS > 0 {
		parts = append(parts, barPart{"RSS " + HumanRSS(s.Memory.RSS), 0})
	}
	avail := width - 1
	withBar := true
	for {
		n := 0
		for _, p := range parts {
			n += len(p.text) + 2 // two spaces before each
		}
		if withBar {
			if bw := min(barMax, avail-n-2); bw >= barMin {
				return drawBar(frac, bw) + joinParts(parts)
			}
		} else if n-2 <= avail || len(parts) == 1 {
			return truncate(strings.TrimPrefix(joinParts(parts), "  "), avail)
		}
		// Drop the least wanted: a part, or the bar when it is next.
		low := 0
		for i, p := range parts {
			if p.keep < parts[low].keep {
				low = i
			}
		}
		if withBar && parts[low].keep > barKeep {
			withBar = false
			continue
		}
		parts = append(parts[:low], parts[low+1:]...)
	}
}

func drawBar(frac float64, width int) string {
	fill := int(frac * float64(width))
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", fill))
	if fill < width {
		b.WriteByte('>')
		b.WriteString(strings.Repeat(" ", width-fill-1))
	}
	b.WriteByte(']')
	return b.String()
}

func joinParts(parts []barPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("  ")
		b.WriteString(p.text)
	}
	return b.String()
}

// truncate cuts s (ASCII) to n cells.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}
