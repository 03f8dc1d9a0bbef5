package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/bench/measure"
)

// SchemaVersion is the version of bench.json's layout.
const SchemaVersion = 1

// Report is the content of bench.json. The zero value is an empty report.
type Report struct {
	Schema  int            `json:"schema"`
	Extract *ExtractReport `json:"extract,omitempty"`
	Scrape  *ScrapeReport  `json:"scrape,omitempty"`
	Coord   *CoordReport   `json:"coord,omitempty"`
	// ScrapeNginx is `sluice bench scrape --server nginx`: the same
	// pipeline against a real nginx limit_req, beside the mock's.
	ScrapeNginx *ScrapeReport `json:"scrape_nginx,omitempty"`
}

// Run says where and how a section was measured.
type Run struct {
	Command []string  `json:"command"` // the command line, program name first
	Date    time.Time `json:"date"`
	Machine Machine   `json:"machine"`
	// Seconds is how long the benchmark took, wall time.
	Seconds float64 `json:"seconds"`
}

// ExtractReport is the report of `sluice bench extract`.
type ExtractReport struct {
	Run    Run                    `json:"run"`
	Result *measure.ExtractResult `json:"result"`
}

// File names inside a report folder.
const (
	JSONFile       = "bench.json"
	MarkdownFile   = "bench.md"
	ThroughputSVG  = "extract-throughput.svg"
	MemorySVG      = "extract-memory.svg"
	SweepSVG       = "extract-buffer-sweep.svg"
	ConcurrencySVG = "scrape-concurrency.svg"
	TimelineSVG    = "scrape-timeline.svg"
	// NginxPrefix starts the names of the nginx section's charts.
	NginxPrefix = "nginx-"
)

// Load reads dir/bench.json; a folder without one gives an empty report.
func Load(dir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Report{Schema: SchemaVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("report: %s: %w", filepath.Join(dir, JSONFile), err)
	}
	if r.Schema != SchemaVersion {
		return nil, fmt.Errorf("report: %s: schema %d, this sluice writes %d", filepath.Join(dir, JSONFile), r.Schema, SchemaVersion)
	}
	return &r, nil
}

// Merge sets the sections of update that are not nil over those of r.
func (r *Report) Merge(update *Report) {
	r.Schema = SchemaVersion
	if update.Extract != nil {
		r.Extract = update.Extract
	}
	if update.Scrape != nil {
		r.Scrape = update.Scrape
	}
	if update.Coord != nil {
		r.Coord = update.Coord
	}
	if update.ScrapeNginx != nil {
		r.ScrapeNginx = update.ScrapeNginx
	}
}

// Write writes the report folder: dir/bench.json, dir/bench.md and the
// charts of the sections present. It creates dir; each file is written to
// a temporary name and renamed, so a reader never sees half a file.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r.Schema = SchemaVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	files := map[string][]byte{JSONFile: append(data, '\n')}
	charts, err := r.Charts()
	if err != nil {
		return err
	}
	for name, svg := range charts {
		files[name] = svg
	}
	files[MarkdownFile] = []byte(r.Markdown(charts))
	for name, content := range files {
		if err := writeFile(filepath.Join(dir, name), content); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

func writeFile(path string, content []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
