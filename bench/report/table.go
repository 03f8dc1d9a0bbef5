package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// table is a grid of cells, rendered for a terminal or as Markdown.
type table struct {
	head  []string
	right []bool // right-align the column (numbers)
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// text renders t aligned with spaces.
func (t *table) text(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	// tabwriter aligns every column alike; pad left-aligned cells by hand.
	widths := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			if !t.right[i] {
				c += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			}
			fmt.Fprint(tw, c+"\t")
		}
		fmt.Fprintln(tw)
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for l := range strings.Lines(buf.String()) { // no trailing blanks
		if _, err := io.WriteString(w, strings.TrimRight(l, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// markdown renders t as a GitHub table.
func (t *table) markdown(w io.Writer) {
	fmt.Fprintln(w, "| "+strings.Join(t.head, " | ")+" |")
	seps := make([]string, len(t.head))
	for i := range seps {
		seps[i] = "---"
		if t.right[i] {
			seps[i] = "---:"
		}
	}
	fmt.Fprintln(w, "| "+strings.Join(seps, " | ")+" |")
	for _, r := range t.rows {
		fmt.Fprintln(w, "| "+strings.Join(r, " | ")+" |")
	}
}

func fmtMBps(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func fmtRatio(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmtMBps(*r) + "×"
}

func fmtAllocs(v float64) string {
	if v < 0.005 && v > -0.005 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
