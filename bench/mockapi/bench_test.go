package mockapi

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkServe measures what one client reads from the mock over
// loopback: the server must outrun the clients it tests.
func BenchmarkServe(b *testing.B) {
	inst, err := Start(Config{Overrides: map[string]Override{"AS1": {Size: 64 << 20}}}, "")
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close()
	for _, enc := range []string{"", "gzip", "zstd"} {
		name := enc
		if name == "" {
			name = "identity"
		}
		b.Run(name, func(b *testing.B) {
			c := client()
			o, _ := inst.Server.BodyOptions("AS1", zeroTime, zeroTime, false)
			b.SetBytes(o.Size()) // decoded bytes per op
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, dataURL(inst, "AS1"), nil)
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
