package store

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Bucket is the count of one time bucket of a node.
type Bucket struct {
	Start string // the bucket's start, RFC 3339 UTC ("2022-09-12T00:00:00Z")
	Count int64
}

// Buckets are a record's buckets in the order of their Start keys, which
// for RFC 3339 UTC keys of years 0000–9999 is time order. A slice rather
// than a map: reading a folder back decodes millions of buckets, and a map
// per record was most of export's cost.
//
// In a batch file, Buckets are a JSON object of Start → Count with its keys
// in byte order, the bytes encoding/json writes for a map[string]int64:
// files written before Buckets was a slice stay byte-identical to reruns.
// A Start given twice is an error both ways.
type Buckets []Bucket

// Get returns the count of the bucket that starts at start and whether
// there is one. bs must be sorted (as readers and Sorted give them).
func (bs Buckets) Get(start string) (int64, bool) {
	i, ok := slices.BinarySearchFunc(bs, start, func(b Bucket, s string) int { return cmp.Compare(b.Start, s) })
	if !ok {
		return 0, false
	}
	return bs[i].Count, true
}

// Equal reports whether bs and other hold the same buckets in the same
// order, nil equal to empty (as a batch file writes both).
func (bs Buckets) Equal(other Buckets) bool {
	return len(bs) == len(other) && (len(bs) == 0 || slices.Equal(bs, other))
}

// Sorted returns bs in Start order (bs itself when it is already), or an
// error naming a Start given twice.
func (bs Buckets) Sorted() (Buckets, error) {
	if !sortedBuckets(bs) {
		bs = slices.Clone(bs)
		slices.SortFunc(bs, func(a, b Bucket) int { return cmp.Compare(a.Start, b.Start) })
	}
	for i := 1; i < len(bs); i++ {
		if bs[i-1].Start == bs[i].Start {
			return nil, fmt.Errorf("bucket %q given twice", bs[i].Start)
		}
	}
	return bs, nil
}

// MarshalJSON writes the JSON object, keys in byte order.
func (bs Buckets) MarshalJSON() ([]byte, error) {
	if bs == nil {
		return []byte("null"), nil
	}
	sorted, err := bs.Sorted()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(sorted)*32)
	out = append(out, '{')
	for i, b := range sorted {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, b.Start)
		out = append(out, ':')
		out = strconv.AppendInt(out, b.Count, 10)
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads the JSON object (or null) as encoding/json reads a
// map[string]int64, then sorts it. The batch-file reader does not use it
// (see recordDecoder); it is for other readers of a Record.
func (bs *Buckets) UnmarshalJSON(data []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if m == nil {
		*bs = nil
		return nil
	}
	out := make(Buckets, 0, len(m))
	for k, n := range m {
		out = append(out, Bucket{k, n})
	}
	slices.SortFunc(out, func(a, b Bucket) int { return cmp.Compare(a.Start, b.Start) })
	*bs = out
	return nil
}

// appendJSONString appends s as encoding/json writes a string (HTML
// characters escaped, invalid UTF-8 replaced): directly when no byte needs
// care, through encoding/json otherwise.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// sortedBuckets reports whether bs is strictly in Start order.
func sortedBuckets(bs []Bucket) bool {
	for i := 1; i < len(bs); i++ {
		if bs[i-1].Start >= bs[i].Start {
			return false
		}
	}
	return true
}
