package mockapi

import (
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/sluicehq/sluice/bench/testenv"
)

// Serving a 2 GiB body keeps the server's heap flat: sampled while the
// body streams, the heap never grows by more than a few MiB.
func TestLargeBodyHeapFlat(t *testing.T) {
	testenv.SkipUnlessLarge(t, "serve a 2 GiB body")
	const size = 2 << 30
	inst := start(t, Config{Overrides: map[string]Override{"AS3333": {Size: size}, "AS1": {Size: 512 << 20}}})
	t.Run("identity", func(t *testing.T) { heapFlat(t, inst, "AS3333", "", size) })
	t.Run("zstd", func(t *testing.T) { heapFlat(t, inst, "AS1", "zstd", 512<<20) })
	t.Run("gzip", func(t *testing.T) { heapFlat(t, inst, "AS1", "gzip", 512<<20) })
}

func heapFlat(t *testing.T, inst *Instance, resource, enc string, size int64) {
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
	req, err := http.NewRequest(http.MethodGet, dataURL(inst, resource), nil)
	if err != nil {
		t.Fatal(err)
	}
	if enc != "" {
		req.Header.Set("Accept-Encoding", enc)
	}
	resp, err := client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = resp.Body
	switch enc {
	case "zstd":
		z, err := zstd.NewReader(resp.Body, zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		body = z
	case "gzip":
		z, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = z
	}
	n, err := io.Copy(io.Discard, body)
	resp.Body.Close()
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	o, _ := inst.Server.BodyOptions(resource, zeroTime, zeroTime, false)
	if want := o.Size(); n != want || n < size*9/10 {
		t.Fatalf("read %d bytes, want %d (~%d)", n, want, size)
	}
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("served %d bytes; heap in use %d MiB before, peak %d MiB", n, before.HeapInuse>>20, peak.Load()>>20)
	if growth > 32<<20 {
		t.Errorf("heap grew by %d MiB while serving a %d MiB body", growth>>20, size>>20)
	}
}
