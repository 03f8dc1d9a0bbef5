package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record is the aggregate of one node: one line of a batch file.
// First and Last are nil exactly when Count is 0.
type Record struct {
	Node       string  `json:"node"`
	Count      int64   `json:"count"`             // valid values
	Invalid    int64   `json:"invalid"`           // values that did not parse
	First      *int64  `json:"first"`             // unix s of the earliest valid value
	Last       *int64  `json:"last"`              // unix s of the latest valid value
	Buckets    Buckets `json:"buckets,omitempty"` // in Start order; a JSON object Start → count
	Outside    int64   `json:"outside,omitempty"` // valid values outside the run's window (counted in Count, in no bucket)
	Bytes      int64   `json:"bytes"`             // body bytes read
	Attempts   int     `json:"attempts"`          // HTTP attempts made
	DurationMS int64   `json:"duration_ms"`       // wall time of the node
	Mode       string  `json:"mode"`              // extraction mode
}

// DeadLetter is a node that failed for good: one line of dead-letter.ndjson.
type DeadLetter struct {
	Node     string    `json:"node"`
	Batch    int       `json:"batch"`  // the batch the node belongs to
	Error    string    `json:"error"`  // why the last attempt failed
	Status   int       `json:"status"` // last HTTP status, 0 if none
	Attempts int       `json:"attempts"`
	Time     time.Time `json:"time"` // when it was given up
}

// Params are the parameters of a run; a folder holds the output of one
// set of Params. The caller redacts secrets from URL before Open.
type Params struct {
	URL         string   `json:"url"`
	Paths       []string `json:"paths"`
	Mode        string   `json:"mode"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	BatchSize   int      `json:"batch_size"`
	Shard       string   `json:"shard"`
	Bucket      string   `json:"bucket"`
	Unit        string   `json:"unit"`
	NodesSHA256 string   `json:"nodes_sha256"`
}

// diff names the first field in which p (the folder's) and q (the
// caller's) differ, with both values; "" when they are equal.
func (p Params) diff(q Params) string {
	fields := []struct {
		name         string
		folder, this string
	}{
		{"URL", p.URL, q.URL},
		{"Paths", strings.Join(p.Paths, " "), strings.Join(q.Paths, " ")},
		{"Mode", p.Mode, q.Mode},
		{"Start", p.Start, q.Start},
		{"End", p.End, q.End},
		{"BatchSize", fmt.Sprint(p.BatchSize), fmt.Sprint(q.BatchSize)},
		{"Shard", p.Shard, q.Shard},
		{"Bucket", p.Bucket, q.Bucket},
		{"Unit", p.Unit, q.Unit},
		{"NodesSHA256", p.NodesSHA256, q.NodesSHA256},
	}
	for _, f := range fields {
		if f.folder != f.this {
			return fmt.Sprintf("%s is %q in the folder, %q in this run", f.name, f.folder, f.this)
		}
	}
	if !slices.Equal(p.Paths, q.Paths) { // paths that differ only in where a space falls
		return fmt.Sprintf("Paths is %q in the folder, %q in this run", p.Paths, q.Paths)
	}
	return ""
}

// validate checks what readers of a batch file rely on.
func (r *Record) validate() error {
	if err := r.validateFields(); err != nil {
		return err
	}
	return r.validateBuckets()
}

// validateFields is validate without the buckets.
func (r *Record) validateFields() error {
	switch {
	case r.Node == "":
		return errors.New("empty node")
	case r.Count < 0 || r.Invalid < 0 || r.Outside < 0 || r.Bytes < 0 || r.Attempts < 0 || r.DurationMS < 0:
		return fmt.Errorf("node %s: negative count, invalid, outside, bytes, attempts or duration_ms", r.Node)
	case r.Outside > r.Count:
		return fmt.Errorf("node %s: outside %d above count %d", r.Node, r.Outside, r.Count)
	case (r.First == nil) != (r.Last == nil):
		return fmt.Errorf("node %s: first and last must both be set or both null", r.Node)
	case (r.First == nil) != (r.Count == 0):
		return fmt.Errorf("node %s: first/last must be null exactly when count is 0 (count %d)", r.Node, r.Count)
	case r.First != nil && *r.First > *r.Last:
		return fmt.Errorf("node %s: first %d after last %d", r.Node, *r.First, *r.Last)
	}
	return nil
}

// validateBuckets is the part of validate that the batch-file decoder
// checks as it reads each bucket.
func (r *Record) validateBuckets() error {
	for _, b := range r.Buckets {
		// Keys are not parsed: a timestamp far in the future (milliseconds
		// read as seconds) gives a year past 9999, which time.Parse refuses,
		// and must not fail the batch.
		if b.Start == "" {
			return fmt.Errorf("node %s: empty bucket key", r.Node)
		}
		if b.Count < 0 {
			return fmt.Errorf("node %s: bucket %s: negative count %d", r.Node, b.Start, b.Count)
		}
	}
	if _, err := r.Buckets.Sorted(); err != nil {
		return fmt.Errorf("node %s: %w", r.Node, err)
	}
	return nil
}

func (d *DeadLetter) validate() error {
	switch {
	case d.Node == "":
		return errors.New("empty node")
	case d.Batch < 0:
		return fmt.Errorf("node %s: negative batch %d", d.Node, d.Batch)
	case d.Attempts < 0:
		return fmt.Errorf("node %s: negative attempts %d", d.Node, d.Attempts)
	}
	return nil
}

// checkNodes validates recs and dead and checks that no node appears
// twice among them.
func checkNodes(recs []Record, dead []DeadLetter) error {
	seen := make(map[string]bool, len(recs)+len(dead))
	for i := range recs {
		if err := recs[i].validate(); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if seen[recs[i].Node] {
			return fmt.Errorf("node %s: given twice", recs[i].Node)
		}
		seen[recs[i].Node] = true
	}
	for i := range dead {
		if dead[i].Node == "" {
			return fmt.Errorf("dead letter %d: empty node", i)
		}
		if dead[i].Attempts < 0 {
			return fmt.Errorf("dead letter %d: node %s: negative attempts", i, dead[i].Node)
		}
		if seen[dead[i].Node] {
			return fmt.Errorf("node %s: given twice", dead[i].Node)
		}
		seen[dead[i].Node] = true
	}
	return nil
}
