//go:build unix

package batch

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sluicehq/sluice/scrape/clock"
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

// A ptyTerm is a pseudo-terminal: ptmx is the controlling side, on which
// tests resize it; out carries what it shows, read by a goroutine that
// ends when the test closes both sides; tty is where the bar writes.
type ptyTerm struct {
	ptmx, tty *os.File
	out       chan []byte
}

// openPTY gives a terminal of cols columns.
func openPTY(t *testing.T, cols uint16) *ptyTerm {
	ptmx, tty, err := pty.Open()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("open a pseudo-terminal: %v", err)
		}
		t.Skipf("no pseudo-terminal here (%v); the test needs /dev/ptmx (mount devpts)", err)
	}
	tm := &ptyTerm{ptmx: ptmx, tty: tty, out: make(chan []byte, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			buf := make([]byte, 4096)
			n, err := ptmx.Read(buf)
			if n > 0 {
				tm.out <- buf[:n]
			}
			if err != nil {
				return // both sides closed
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); ptmx.Close(); <-done })
	tm.resize(t, cols)
	return tm
}

func (tm *ptyTerm) resize(t *testing.T, cols uint16) {
	t.Helper()
	if err := pty.Setsize(tm.ptmx, &pty.Winsize{Rows: 24, Cols: cols}); err != nil {
		t.Fatal(err)
	}
}

// read returns what the terminal shows up to the next until (the line
// discipline turns "\n" into "\r\n"). Nothing for 10 s fails the test
// rather than hang it.
func (tm *ptyTerm) read(t *testing.T, until string) []byte {
	t.Helper()
	var got []byte
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for !bytes.HasSuffix(got, []byte(until)) {
		select {
		case b := <-tm.out:
			got = append(got, b...)
		case <-timeout.C:
			t.Fatalf("the terminal showed %q and then nothing, waiting for %q", got, until)
		}
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
			tm := openPTY(t, tt.widths[0])
			p := newProgress(tm.tty, ProgressAuto, t0)
			if !p.bar {
				t.Fatal("a terminal got no bar")
			}
			sc := &screen{t: t}
			for i, w := range tt.widths {
				tm.resize(t, w)
				p.report(t0.Add(time.Duration(i+1)*time.Second), snap(int64(1000*(i+1)), i+1))
				sc.feed(tm.read(t, "\x1b[K"), int(w))
				if i == 1 {
					p.above(func() { io.WriteString(tm.tty, "level=INFO msg=\"batch committed\"\n") })
					sc.feed(tm.read(t, "\n"), int(w))
				}
			}
			p.finish()
			last := tt.widths[len(tt.widths)-1]
			sc.feed(tm.read(t, "\n"), int(last))
			if len(sc.lines) != 2 || sc.lines[0] != `level=INFO msg="batch committed"` || !strings.Contains(sc.lines[1], "4000/80000 nodes") {
				t.Fatalf("the pane holds %q, want the log record and the last bar", sc.lines)
			}
			if int(last) >= 160 && !strings.Contains(sc.lines[1], "RSS 45.0 MiB") {
				t.Errorf("at %d columns the bar left out figures: %q", last, sc.lines[1])
			}
		})
	}
}

// On SIGWINCH the monitor draws the bar again at the new width at once,
// without waiting for the next tick.
func TestBarRedrawsOnResize(t *testing.T) {
	tm := openPTY(t, 160)
	o := quietOptions(clock.NewFake(t0)) // it never moves: no tick, only the signal draws
	o.Progress, o.ProgressFormat = tm.tty, ProgressBar
	r, err := newRunner(newFakeFetcher(nil), o)
	if err != nil {
		t.Fatal(err)
	}
	r.start = t0
	m, err := r.newMonitor()
	if err != nil {
		t.Fatal(err)
	}
	m.prog.report(t0.Add(time.Second), snapshot{Done: 1000, Total: 80000, InFlight: 8, Retries: 17, Dead: 2, Bytes: 7e8,
		Elapsed: time.Second, Memory: Memory{RSS: 45 << 20}})
	sc := &screen{t: t}
	sc.feed(tm.read(t, "\x1b[K"), 160)
	if len(sc.cur) < 100 {
		t.Fatalf("at 160 columns the bar is %d long: %q", len(sc.cur), sc.cur)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() { m.loop(done); close(finished) }()
	defer func() { close(done); <-finished }()
	tm.resize(t, 60)
	// The test process has no controlling terminal: send the signal
	// the kernel sends to a terminal's foreground programs.
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	sc.feed(tm.read(t, "\x1b[K"), 60)
	if len(sc.cur) >= 60 || !strings.Contains(string(sc.cur), "1000/80000 nodes") {
		t.Errorf("after the resize to 60 columns the bar is %q", sc.cur)
	}
}
