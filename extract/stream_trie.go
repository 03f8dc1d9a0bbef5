package extract

import (
	"bytes"
	"encoding/binary"
)

// A pathNode is one node of the trie that merges all selectors, so that a
// single pass over the document follows every selector at once. The root
// stands for the whole document; an edge is a key or the wildcard [*].
type pathNode struct {
	sels   []int      // selectors that end here: the value at this node is emitted for each
	keys   []pathEdge // children reached through an object key
	wild   *pathNode  // child reached through [*], or nil
	minKey int        // length of the shortest key in keys (quick reject)
	// objSels and arrSels are the selectors whose container (see
	// containerOf) this node is, as an object or as an array: entering
	// it marks them reached.
	objSels, arrSels []int
	maxKey           int // length of the longest key in keys
}

type pathEdge struct {
	key  string // unescaped key
	node *pathNode
	// For a key of 8 to 16 bytes: its first and its last eight bytes, so
	// that match compares it in two loads (the two may overlap).
	head, tail uint64
}

// keyWords returns the first and the last eight bytes of b, which has 8 to
// 16 bytes.
func keyWords(b []byte) (head, tail uint64) {
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[len(b)-8:])
}

// buildTrie merges sels into one trie. It also returns the length of the
// longest key, which bounds how much of a document key must be kept to
// compare it.
func buildTrie(sels []Selector) (root *pathNode, maxKey int) {
	root = &pathNode{}
	for i, sel := range sels {
		n := root
		c := containerOf(sel.steps)
		for d, st := range sel.steps {
			if d == c.depth {
				if c.array {
					n.arrSels = append(n.arrSels, i)
				} else {
					n.objSels = append(n.objSels, i)
				}
			}
			n = n.child(st)
			if !st.Wildcard && len(st.Key) > maxKey {
				maxKey = len(st.Key)
			}
		}
		n.sels = append(n.sels, i)
	}
	return root, maxKey
}

// child returns the child of n for st, adding it if needed.
func (n *pathNode) child(st Step) *pathNode {
	if st.Wildcard {
		if n.wild == nil {
			n.wild = &pathNode{}
		}
		return n.wild
	}
	for _, e := range n.keys {
		if e.key == st.Key {
			return e.node
		}
	}
	c := &pathNode{}
	if len(n.keys) == 0 || len(st.Key) < n.minKey {
		n.minKey = len(st.Key)
	}
	if len(st.Key) > n.maxKey {
		n.maxKey = len(st.Key)
	}
	e := pathEdge{key: st.Key, node: c}
	if len(st.Key) >= 8 && len(st.Key) <= 16 {
		e.head, e.tail = keyWords([]byte(st.Key))
	}
	n.keys = append(n.keys, e)
	return c
}

// match returns the child of n for the raw (still escaped) document key, or
// nil. scratch is reused to unescape keys that hold a backslash.
func (n *pathNode) match(raw []byte, scratch *[]byte) *pathNode {
	if len(raw) < n.minKey {
		return nil // unescaping never makes a key longer
	}
	if len(raw) >= 8 && len(raw) <= 16 {
		h, t := keyWords(raw)
		for i := range n.keys {
			if e := &n.keys[i]; len(e.key) == len(raw) && e.head == h && e.tail == t {
				return e.node
			}
		}
	} else if len(raw) <= n.maxKey {
		for i := range n.keys {
			if string(raw) == n.keys[i].key {
				return n.keys[i].node
			}
		}
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return nil
	}
	key, ok := appendUnescaped((*scratch)[:0], raw)
	*scratch = key
	if !ok {
		return nil
	}
	for i := range n.keys {
		if string(key) == n.keys[i].key {
			return n.keys[i].node
		}
	}
	return nil
}
