package mockapi

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Serving a 2 GiB body keeps the server's heap flat: sampled while the
// body streams, the heap never grows by more than a few MiB.
func TestLargeBodyHeapFlat(t *testing.T) {
	if os.Getenv("SLUICE_LARGE") != "1" {
		t.Skip("set SLUICE_LARGE=1 to serve a 2 GiB body")
	}
	const size = 2 << 30
	inst := start(t, Config{Overrides: map[string]Override{"AS3333": {Size: size}}})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the sampler; owned and waited for by this test
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	resp, err := client().Get(dataURL(inst, "AS3333"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if cl, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); n != cl || n < size*9/10 {
		t.Fatalf("read %d bytes, Content-Length %d, want ~%d", n, cl, int64(size))
	}
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("served %d bytes; heap in use %d MiB before, peak %d MiB", n, before.HeapInuse>>20, peak.Load()>>20)
	if growth > 32<<20 {
		t.Errorf("heap grew by %d MiB while serving a 2 GiB body", growth>>20)
	}
}
