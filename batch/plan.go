package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/store"
)

// DefaultBatchSize is the number of nodes per batch when PlanOptions.Size
// is zero: the seeds' 128, small enough that a lost batch costs little,
// large enough that one file per batch stays a few hundred files a day.
const DefaultBatchSize = 128

// PlanOptions are the parameters of a Plan. The zero value means batches
// of DefaultBatchSize over the whole list.
type PlanOptions struct {
	// Size is the number of nodes per batch; zero means DefaultBatchSize.
	Size int
	// Shard keeps only the nodes of one shard; the zero Shard keeps all.
	Shard Shard
	// Params are the other parameters that decide what a batch holds
	// (source URL, paths, mode, query window, bucket, unit). NewPlan fills
	// in the fields that are the plan's own (NodesSHA256, BatchSize,
	// Shard); the result, Plan.Params, is the run's one identity: the
	// store keeps it in the manifest and refuses a folder holding other
	// Params, and the plan's fingerprint is its hash.
	Params store.Params
}

// A Plan is a node list cut into batches. It holds the (sharded) list and
// a few numbers; batches are views into the list, made on demand. A Plan
// is immutable and safe for concurrent use.
type Plan struct {
	nodes       []string
	size        int
	shard       Shard
	params      store.Params
	fingerprint string
}

// A Batch is a run of consecutive nodes of a Plan.
type Batch struct {
	// Index is the batch's position in the plan, from 0; store files are
	// numbered by it.
	Index int
	// ID is "<fingerprint[:12]>-<index>": equal IDs mean the same nodes
	// fetched with the same parameters.
	ID string
	// Nodes is a view into the plan's list; callers must not modify it.
	Nodes []string
}

// NewPlan shards nodes and cuts them into batches. nodes is not copied for
// the whole list and must not be modified while the plan is in use.
func NewPlan(nodes []string, o PlanOptions) (*Plan, error) {
	if o.Size == 0 {
		o.Size = DefaultBatchSize
	}
	if o.Size < 0 {
		return nil, fmt.Errorf("batch: plan: batch size %d: must be positive", o.Size)
	}
	if err := o.Shard.Validate(); err != nil {
		return nil, err
	}
	p := &Plan{nodes: o.Shard.Filter(nodes), size: o.Size, shard: o.Shard}

	h := sha256.New()
	for _, n := range p.nodes {
		h.Write([]byte(n))
		h.Write([]byte{'\n'})
	}
	p.params = o.Params
	p.params.Paths = slices.Clone(o.Params.Paths)
	p.params.NodesSHA256 = hex.EncodeToString(h.Sum(nil))
	p.params.BatchSize = p.size
	p.params.Shard = p.shard.String()
	p.fingerprint = fingerprint(p.params)
	return p, nil
}

// fingerprint hashes every field of the run's identity. Fields are
// length-prefixed so that no two different identities give the same
// byte stream.
func fingerprint(p store.Params) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("sluice-plan-v2")
	field(p.NodesSHA256)
	field(strconv.Itoa(p.BatchSize))
	field(p.Shard)
	field(p.URL)
	field(strconv.Itoa(len(p.Paths)))
	for _, s := range p.Paths {
		field(s)
	}
	for _, s := range []string{p.Mode, p.Start, p.End, p.Bucket, p.Unit} {
		field(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Nodes returns the plan's list (after sharding); callers must not modify it.
func (p *Plan) Nodes() []string { return p.nodes }

// Len is the number of nodes in the plan.
func (p *Plan) Len() int { return len(p.nodes) }

// Size is the number of nodes per batch (the last batch may be shorter).
func (p *Plan) Size() int { return p.size }

// Shard is the shard the plan was cut from.
func (p *Plan) Shard() Shard { return p.shard }

// NumBatches is the number of batches.
func (p *Plan) NumBatches() int { return (len(p.nodes) + p.size - 1) / p.size }

// NodesSHA256 is the hex sha256 of the plan's nodes, each followed by
// "\n": the sha256sum of the list as a clean file.
func (p *Plan) NodesSHA256() string { return p.params.NodesSHA256 }

// Params is the run's identity: PlanOptions.Params with the plan's own
// fields filled in. Open the run folder with it (store.Open): the folder
// then refuses a changed list as well as changed parameters.
func (p *Plan) Params() store.Params {
	q := p.params
	q.Paths = slices.Clone(q.Paths)
	return q
}

// Fingerprint is the hex sha256 of Params, every field of the run's
// identity; batch IDs begin with it.
func (p *Plan) Fingerprint() string { return p.fingerprint }

// Batch returns batch i, 0 <= i < NumBatches.
func (p *Plan) Batch(i int) Batch {
	if i < 0 || i >= p.NumBatches() {
		panic(fmt.Sprintf("batch: plan has %d batches, no batch %d", p.NumBatches(), i))
	}
	lo := i * p.size
	hi := min(lo+p.size, len(p.nodes))
	return Batch{Index: i, ID: fmt.Sprintf("%s-%06d", p.fingerprint[:12], i), Nodes: p.nodes[lo:hi:hi]}
}

// Batches yields the batches in order.
func (p *Plan) Batches() iter.Seq[Batch] {
	return func(yield func(Batch) bool) {
		for i := range p.NumBatches() {
			if !yield(p.Batch(i)) {
				return
			}
		}
	}
}
