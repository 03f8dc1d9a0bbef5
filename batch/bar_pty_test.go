//go:build unix

package batch

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen is the little of a terminal the bar relies on: printable cells,
// carriage return, newline and erase-to-end-of-line. A character written
// past the last column wraps, as a real terminal does; that is what left
// the old bar's stale rows behind, so the test fails on it.
type screen struct {
	t     *testing.T
	lines []string // rows scrolled off: what stays in the pane
	cur   []byte
	col   int
}

func (s *screen) feed(out []byte, width int) {
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '\r':
			s.col = 0
		case c == '\n':
			s.lines = append(s.lines, string(s.cur))
			s.cur, s.col = nil, 0
		case c == 0x1b && bytes.HasPrefix(out[i:], []byte("\x1b[K")):
			s.cur = s.cur[:min(s.col, len(s.cur))]
			i += 2
		case c < ' ':
			s.t.Errorf("control byte %#x in the bar's output", c)
		default:
			if s.col >= width-1 {
				s.t.Errorf("a line reaches column %d of a %d-column terminal: %q", s.col+1, width, s.cur)
			}
			if s.col < len(s.cur) {
				s.cur[s.col] = c
			} else {
				s.cur = append(s.cur, c)
			}
			s.col++
		}
	}
}

// openPTY gives a terminal of cols columns: the controlling side, on
// which tests resize it and read what it shows, and the tty the bar
// writes to.
func openPTY(t *testing.T, cols uint16) (ptmx, tty *os.File) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("open a pseudo-terminal: %v", err)
		}
		t.Skipf("no pseudo-terminal here (%v); the test needs /dev/ptmx (mount devpts)", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	return ptmx, tty
}

// readAvailable reads what the terminal shows after the bar's writes;
// the line discipline turns "\n" into "\r\n".
func readAvailable(t *testing.T, ptmx *os.File, until string) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(got, []byte(until)) {
		n, err := ptmx.Read(buf)
		if err != nil && err != io.EOF {
			t.Fatalf("read the terminal: %v (so far %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	return got
}

// Under a real terminal at 80 and 160 columns, and through a resize from
// 160 to 80, no bar line is longer than the width and no old bar line
// stays on screen: the pane holds the log records and the last bar only.
func TestProgressBarPTY(t *testing.T) {
	snap := func(done int64, sec int) snapshot {
		return snapshot{Done: done, Total: 80000, OK: done, InFlight: 8, Retries: 17, Status429: 3, Dead: 2,
			Bytes: done * 700_000, Elapsed: time.Duration(sec) * time.Second, Memory: Memory{RSS: 45 << 20}}
	}
	tests := []struct {
		name   string
		widths []uint16 // terminal width at each report
	}{
		{"80", []uint16{80, 80, 80, 80}},
		{"160", []uint16{160, 160, 160, 160}},
		{"resized", []uint16{160, 160, 80, 80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ptmx, tty := openPTY(t, tt.widths[0])
			p := newProgress(tty, ProgressAuto, t0)
			if !p.bar {
				t.Fatal("a terminal got no bar")
			}
			sc := &screen{t: t}
			for i, w := range tt.widths {
				if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: w}); err != nil {
					t.Fatal(err)
				}
				p.report(t0.Add(time.Duration(i+1)*time.Second), snap(int64(1000*(i+1)), i+1))
				sc.feed(readAvailable(t, ptmx, "\x1b[K"), int(w))
				if i == 1 {
					p.above(func() { io.WriteString(tty, "level=INFO msg=\"batch committed\"\n") })
					sc.feed(readAvailable(t, ptmx, "\n"), int(w))
				}
			}
			p.finish()
			last := tt.widths[len(tt.widths)-1]
			sc.feed(readAvailable(t, ptmx, "\n"), int(last))
			if len(sc.lines) != 2 || sc.lines[0] != `level=INFO msg="batch committed"` || !strings.Contains(sc.lines[1], "4000/80000 nodes") {
				t.Fatalf("the pane holds %q, want the log record and the last bar", sc.lines)
			}
			if int(last) >= 160 && !strings.Contains(sc.lines[1], "RSS 45.0 MiB") {
				t.Errorf("at %d columns the bar left out figures: %q", last, sc.lines[1])
			}
		})
	}
}
