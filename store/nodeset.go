package store

import "hash/maphash"

// nodeSet is the set of nodes a reader has seen, with the batch of each,
// to check that no node is in two batches. It is a map from the node's
// 64-bit hash rather than from the node: a folder of 100,000 nodes made
// this check a tenth of export's time, most of it in comparing and
// hashing strings of a map too large for the cache. A hash shared by two
// different nodes is told apart exactly (clash), so the set never calls
// two nodes one. The zero value is not usable; see newNodeSet.
type nodeSet struct {
	seed  maphash.Seed
	first map[uint64]int32 // hash → index in nodes of the first node with that hash
	nodes []string         // nodes in the order added
	batch []int32          // batch of nodes[i]
	clash map[string]int   // nodes added whose hash an earlier, different node has
}

func newNodeSet(hint int) *nodeSet {
	return &nodeSet{seed: maphash.MakeSeed(), first: make(map[uint64]int32, hint),
		nodes: make([]string, 0, hint), batch: make([]int32, 0, hint)}
}

// add adds node, of batch b. If node was added before, it adds nothing
// and returns the batch it was added with and true.
func (s *nodeSet) add(node string, b int) (int, bool) {
	h := maphash.String(s.seed, node)
	i, ok := s.first[h]
	if !ok {
		s.first[h] = int32(len(s.nodes))
		s.nodes = append(s.nodes, node)
		s.batch = append(s.batch, int32(b))
		return 0, false
	}
	if s.nodes[i] == node {
		return int(s.batch[i]), true
	}
	if prev, ok := s.clash[node]; ok {
		return prev, true
	}
	if s.clash == nil {
		s.clash = make(map[string]int)
	}
	s.clash[node] = b
	return 0, false
}
