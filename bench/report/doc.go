// Package report presents what package measure found: a table for the
// terminal, and a report folder with bench.json (every figure and the
// machine), bench.md (the tables, with the charts linked) and SVG charts
// drawn with gonum.org/v1/plot.
//
// The extraction and scrape benchmarks are separate commands; each writes
// its own section of the report. Writing a folder that already holds a
// bench.json keeps the other section, so that both commands can fill one
// report.
package report
