package store

import (
	"io"
	"strings"
	"testing"
)

// TestLineReader: lines are numbered from 1, a last line without newline
// counts, and a line past the limit is refused with its number, whether
// it ends or not, without buffering the rest.
func TestLineReader(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []string
		err   string
	}{
		{"empty", "", nil, ""},
		{"two lines", "a\nbb\n", []string{"a", "bb"}, ""},
		{"no final newline", "a\nbb", []string{"a", "bb"}, ""},
		{"CR kept (JSON takes it as space)", "a\r\n", []string{"a\r"}, ""},
		{"empty line", "a\n\nb\n", []string{"a"}, "line 2: empty line"},
		{"blank line", "a\n  \n", []string{"a"}, "line 2: empty line"},
		{"long line", "a\n" + strings.Repeat("x", 300) + "\n", []string{"a"}, "line 2: longer than 200 bytes"},
		{"long last line", "a\n" + strings.Repeat("x", 300), []string{"a"}, "line 2: longer than 200 bytes"},
		{"long line past the buffer", strings.Repeat("y", 100<<10) + "\n", nil, "line 1: longer than 200 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tc.in))
			lr.max = 200
			var got []string
			var err error
			for {
				var line []byte
				if line, err = lr.next(); err != nil {
					break
				}
				got = append(got, string(line))
			}
			if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
				t.Errorf("lines %q, want %q", got, tc.lines)
			}
			if tc.err == "" && err != io.EOF || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}
