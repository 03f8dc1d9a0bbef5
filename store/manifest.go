package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// manifestVersion is the version of the folder format this package writes
// and reads.
const manifestVersion = 1

// manifest is the content of manifest.json, the commit point of a run
// folder: a batch or a dead-letter file exists when the manifest names it
// with its sha256.
type manifest struct {
	Version     int          `json:"version"`
	Params      Params       `json:"params"`
	Plan        *planEntry   `json:"plan,omitempty"` // nil: no plan recorded (a run that has not started, or an older sluice)
	Batches     []batchEntry `json:"batches"`        // sorted by Batch, each number once
	DeadLetters deadEntry    `json:"dead_letters"`
	Totals      totals       `json:"totals"`
	Updated     time.Time    `json:"updated"`
	Runs        []RunSummary `json:"runs,omitempty"` // the last maxRuns runs on the folder, oldest first
}

// planEntry is what the run set out to do: batches 0..Batches-1 hold
// Nodes nodes between them. The run is finished when each is committed.
type planEntry struct {
	Nodes   int `json:"nodes"`
	Batches int `json:"batches"`
}

// batchEntry is one committed batch file.
type batchEntry struct {
	Batch     int       `json:"batch"`
	File      string    `json:"file"`
	Nodes     int       `json:"nodes"` // records in the file
	Count     int64     `json:"count"`
	Invalid   int64     `json:"invalid"`
	Bytes     int64     `json:"bytes"`
	SHA256    string    `json:"sha256"`
	Completed time.Time `json:"completed"`
	Retry     bool      `json:"retry,omitempty"` // written by CommitRetry from dead letters, or a Part
	// From lists, for a retry batch, the planned batches its nodes were
	// dead letters of: the batches to redo if its file is lost.
	From []int `json:"from,omitempty"`
	// Part marks a retry batch written by CommitPart: finished nodes of
	// planned batch From[0], committed when a run was interrupted.
	Part bool `json:"part,omitempty"`
}

// deadEntry is the committed dead-letter file.
type deadEntry struct {
	File   string `json:"file"`
	Nodes  int    `json:"nodes"`
	SHA256 string `json:"sha256"`
	// Batches lists the batches that have dead letters: the batches to
	// redo if the file is lost.
	Batches []int `json:"batches,omitempty"`
}

type totals struct {
	Batches     int   `json:"batches"`
	Nodes       int   `json:"nodes"` // records in batch files
	DeadLetters int   `json:"dead_letters"`
	Count       int64 `json:"count"`
	Invalid     int64 `json:"invalid"`
	Bytes       int64 `json:"bytes"`
}

func newManifest(p Params, now time.Time) manifest {
	return manifest{
		Version:     manifestVersion,
		Params:      p,
		Batches:     []batchEntry{},
		DeadLetters: deadEntry{File: deadName, SHA256: sha256Hex(nil)},
		Updated:     now.UTC(),
	}
}

func newBatchEntry(n int, recs []Record, data []byte, retry bool, now time.Time) batchEntry {
	e := batchEntry{Batch: n, File: batchName(n), Nodes: len(recs), SHA256: sha256Hex(data),
		Completed: now.UTC(), Retry: retry}
	for i := range recs {
		e.Count += recs[i].Count
		e.Invalid += recs[i].Invalid
		e.Bytes += recs[i].Bytes
	}
	return e
}

// clone returns a copy that can be changed without changing m.
func (m *manifest) clone() manifest {
	c := *m
	c.Batches = slices.Clone(m.Batches)
	c.DeadLetters.Batches = slices.Clone(m.DeadLetters.Batches)
	c.Runs = slices.Clone(m.Runs)
	c.Params.Paths = slices.Clone(m.Params.Paths)
	if m.Plan != nil {
		p := *m.Plan
		c.Plan = &p
	}
	return c
}

// find returns the index of batch n in m.Batches, or -1.
func (m *manifest) find(n int) int {
	i, ok := slices.BinarySearchFunc(m.Batches, n, func(e batchEntry, n int) int { return cmp.Compare(e.Batch, n) })
	if !ok {
		return -1
	}
	return i
}

// put adds or replaces the entry for e.Batch.
func (m *manifest) put(e batchEntry) {
	i, ok := slices.BinarySearchFunc(m.Batches, e.Batch, func(x batchEntry, n int) int { return cmp.Compare(x.Batch, n) })
	if ok {
		m.Batches[i] = e
	} else {
		m.Batches = slices.Insert(m.Batches, i, e)
	}
}

func (m *manifest) remove(n int) {
	if i := m.find(n); i >= 0 {
		m.Batches = slices.Delete(m.Batches, i, i+1)
	}
}

// committedSHA256 returns the sha256 that the manifest gives file name,
// or "" if it names no such file.
func (m *manifest) committedSHA256(name string) string {
	if name == deadName {
		return m.DeadLetters.SHA256
	}
	if n, ok := parseBatchName(name); ok {
		if i := m.find(n); i >= 0 {
			return m.Batches[i].SHA256
		}
	}
	return ""
}

// next returns the number after the highest batch of the manifest.
func (m *manifest) next() int {
	if len(m.Batches) == 0 {
		return 0
	}
	return m.Batches[len(m.Batches)-1].Batch + 1
}

// sum recomputes the totals from the entries.
func (m *manifest) sum(dead int, now time.Time) {
	t := totals{Batches: len(m.Batches), DeadLetters: dead}
	for _, e := range m.Batches {
		t.Nodes += e.Nodes
		t.Count += e.Count
		t.Invalid += e.Invalid
		t.Bytes += e.Bytes
	}
	m.Totals = t
	m.Updated = now.UTC()
}

func (m *manifest) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs keep their '&'
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", manifestName, err)
	}
	return buf.Bytes(), nil
}

// readManifest loads dir/manifest.json and checks what the rest of the
// package relies on (known version, file names derived from batch
// numbers, sorted unique batches), so that a hand-edited manifest cannot
// point outside the folder. A missing file is an error for which
// errors.Is(err, fs.ErrNotExist).
func readManifest(dir string) (manifest, error) {
	path := filepath.Join(dir, manifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		return manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	return parseManifest(data, path)
}

// parseManifest decodes and checks the content of the manifest at path.
func parseManifest(data []byte, path string) (manifest, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.check(); err != nil {
		return manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (m *manifest) check() error {
	if m.Version != manifestVersion {
		return fmt.Errorf("version %d, want %d", m.Version, manifestVersion)
	}
	for i, e := range m.Batches {
		switch {
		case e.Batch < 0 || e.File != batchName(e.Batch):
			return fmt.Errorf("batch %d: file %q, want %q", e.Batch, e.File, batchName(max(e.Batch, 0)))
		case i > 0 && m.Batches[i-1].Batch >= e.Batch:
			return fmt.Errorf("batch %d: out of order or listed twice", e.Batch)
		case len(e.SHA256) != 64:
			return fmt.Errorf("batch %d: sha256 %q is not 64 hex digits", e.Batch, e.SHA256)
		}
	}
	if m.Plan != nil && (m.Plan.Nodes < 0 || m.Plan.Batches < 0 || m.Plan.Batches > m.Plan.Nodes) {
		return fmt.Errorf("plan: %d nodes in %d batches", m.Plan.Nodes, m.Plan.Batches)
	}
	if m.DeadLetters.File != deadName || len(m.DeadLetters.SHA256) != 64 {
		return fmt.Errorf("dead_letters: want file %q with a 64-digit sha256", deadName)
	}
	if m.Batches == nil {
		m.Batches = []batchEntry{}
	}
	return nil
}

// missing returns the planned batches that m does not list as committed
// planned (not retry) batches, or an error if m records no plan.
func (m *manifest) missing() ([]int, error) {
	if m.Plan == nil {
		return nil, errors.New("the manifest records no plan (the run has not started, or was written by an older sluice)")
	}
	var out []int
	for b := range m.Plan.Batches {
		if i := m.find(b); i < 0 || m.Batches[i].Retry {
			out = append(out, b)
		}
	}
	return out, nil
}
