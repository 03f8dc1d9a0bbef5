package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
)

// The dead-letter file is NDJSON, one DeadLetter per line, sorted by
// batch and node, each node at most once. It is rewritten whole at each
// commit that changes it.

// sortedDead returns the dead letters of m in file order.
func sortedDead(m map[string]DeadLetter) []DeadLetter {
	list := slices.Collect(maps.Values(m))
	slices.SortFunc(list, func(a, b DeadLetter) int {
		return cmp.Or(cmp.Compare(a.Batch, b.Batch), cmp.Compare(a.Node, b.Node))
	})
	return list
}

// encodeDead returns the content of a dead-letter file holding m.
func encodeDead(m map[string]DeadLetter) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Errors quote HTML error pages; people read this file with less and
	// grep, so keep "<html>" as it is rather than "\u003chtml\u003e".
	enc.SetEscapeHTML(false)
	for _, d := range sortedDead(m) {
		if err := enc.Encode(d); err != nil { // Encode ends the line
			return nil, fmt.Errorf("dead letter %s: %w", d.Node, err)
		}
	}
	return buf.Bytes(), nil
}

// decodeDead reads a dead-letter file. Errors name the file and the line.
func decodeDead(r io.Reader, name string) (map[string]DeadLetter, error) {
	m := make(map[string]DeadLetter)
	lr := newLineReader(r)
	for {
		var d DeadLetter
		err := lr.decode(name, &d)
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if _, dup := m[d.Node]; dup {
			return nil, fmt.Errorf("%s: line %d: node %s appears twice", name, lr.line, d.Node)
		}
		m[d.Node] = d
	}
}
