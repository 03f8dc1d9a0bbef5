package batch_test

import (
	"fmt"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/store"
)

// Two cron entries share one list: each takes its shard, and together
// they cover it exactly once.
func ExampleShard() {
	nodes := []string{"AS3333", "AS13335", "AS15169", "193.0.0.0/21", "2001:db8::/32", "AS64500"}
	for _, spec := range []string{"1/2", "2/2"} {
		sh, err := batch.ParseShard(spec)
		if err != nil {
			panic(err)
		}
		fmt.Println(sh, sh.Filter(nodes))
	}
	// Output:
	// 1/2 [AS13335 193.0.0.0/21 2001:db8::/32 AS64500]
	// 2/2 [AS3333 AS15169]
}

// A plan cuts the list into batches whose IDs depend only on the list and
// the parameters, so a second run of the same job finds the same batches.
func ExampleNewPlan() {
	nodes := []string{"AS1", "AS2", "AS3", "AS4", "AS5"}
	p, err := batch.NewPlan(nodes, batch.PlanOptions{Size: 2, Params: store.Params{URL: "https://stat.ripe.net/data/bgp-updates/data.json?resource={node}"}})
	if err != nil {
		panic(err)
	}
	for b := range p.Batches() {
		fmt.Println(b.Index, b.ID, b.Nodes)
	}
	// Output:
	// 0 7a3b2bf500f2-000000 [AS1 AS2]
	// 1 7a3b2bf500f2-000001 [AS3 AS4]
	// 2 7a3b2bf500f2-000002 [AS5]
}
