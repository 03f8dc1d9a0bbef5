package synth_test

import (
	"fmt"
	"io"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
)

func Example() {
	o := synth.Options{Resource: "AS3333", Seed: 1, Updates: synth.UpdatesForSize(1 << 20)}
	n, _ := io.Copy(io.Discard, synth.NewReader(o)) // any size, O(1) memory
	t := o.Truth()
	fmt.Println(n > 900_000 && n < 1_100_000, t.Count)
	fmt.Println(time.Unix(t.First, 0).UTC().Format(time.DateTime), "..", time.Unix(t.Last, 0).UTC().Format(time.DateTime))
	// Output:
	// true 5239
	// 2022-09-12 00:05:11 .. 2022-09-12 23:59:58
}
