package measure

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/bench/testenv"
)

// TestMemoryFlatLarge checks, through the harness, the property the
// stream mode exists for: its memory does not grow with the body, while
// full mode's holds the body. It needs a GiB body: SLUICE_LARGE=1.
func TestMemoryFlatLarge(t *testing.T) {
	testenv.SkipUnlessLarge(t, "run the GiB-scale checks")
	cfg := ExtractConfig{
		Sizes:     []int64{64 << 20, 1 << 30},
		Kinds:     []Kind{KindStream, KindFull, KindRead},
		Reps:      1,
		Seed:      2,
		MemoryCap: 4 * (64 << 20), // full at 64 MiB only
	}
	res, err := RunExtract(context.Background(), cfg, testLauncher(), nil)
	if err != nil {
		t.Fatal(err)
	}
	row := func(k Kind, size int64) Row {
		for _, r := range res.Rows {
			if r.Kind == k && r.Size == size {
				return r
			}
		}
		t.Fatalf("no row for %s at %d", k, size)
		return Row{}
	}
	small, large := row(KindStream, 64<<20), row(KindStream, 1<<30)
	if grow := large.PeakRSSBytes - small.PeakRSSBytes; grow > 8<<20 {
		t.Errorf("stream peak RSS grew by %d bytes from 64 MiB to 1 GiB (%d → %d)", grow, small.PeakRSSBytes, large.PeakRSSBytes)
	}
	if large.PeakHeapBytes > 8<<20 {
		t.Errorf("stream peak heap at 1 GiB: %d bytes", large.PeakHeapBytes)
	}
	if full := row(KindFull, 64<<20); full.PeakHeapBytes < uint64(full.BodyBytes) || full.PeakRSSBytes < full.BodyBytes {
		t.Errorf("full mode at 64 MiB: peak heap %d, RSS %d, below the body's %d bytes", full.PeakHeapBytes, full.PeakRSSBytes, full.BodyBytes)
	}
}
