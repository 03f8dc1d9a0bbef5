package scrape_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sluicehq/sluice/bench/nginxtest"
	"github.com/sluicehq/sluice/scrape"
)

// nginxBodies are RIPEstat-shaped static bodies, node AS<i> with
// truth[node] updates (1 to 9, padded so that gzip has work), and the
// nodes in order.
func nginxBodies(n, pad int) (files map[string][]byte, truth map[string]int64, nodes []string) {
	files, truth = map[string][]byte{}, map[string]int64{}
	for i := range n {
		node := fmt.Sprintf("AS%d", 64500+i)
		k := 1 + i%9
		var b strings.Builder
		b.WriteString(`{"status":"ok","data":{"updates":[`)
		for j := range k {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"timestamp":"2026-11-20T%02d:%02d:00","attrs":{"path":[%d,3333,%d],"pad":"%s"}}`,
				j%24, (i+j)%60, 64500+i, j, noise(i*10+j, pad))
		}
		b.WriteString(`]}}`)
		files[node+".json"], truth[node] = []byte(b.String()), int64(k)
		nodes = append(nodes, node)
	}
	return files, truth, nodes
}

// checkNginx asserts behaviour only: every node ends in exactly one place
// (its aggregate or a final error), every count equals the body's truth,
// and a node may fail only when mayFail says its error is allowed.
func checkNginx(t *testing.T, outs []outcome, truth map[string]int64, mayFail func(error) bool) (dead int) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range outs {
		if seen[o.node] {
			t.Errorf("node %s ended twice", o.node)
		}
		seen[o.node] = true
		if o.err != nil {
			var fe *scrape.FetchError
			if !errors.As(o.err, &fe) || !mayFail(o.err) {
				t.Errorf("node %s: %v", o.node, o.err)
			}
			dead++
			continue
		}
		if o.count != truth[o.node] {
			t.Errorf("node %s: count %d, truth %d", o.node, o.count, truth[o.node])
		}
	}
	if len(seen) != len(truth) {
		t.Errorf("%d nodes ended, %d planned", len(seen), len(truth))
	}
	return dead
}

// noise is n hex digits that gzip cannot shrink much, the same for seed.
func noise(seed, n int) string {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = "0123456789abcdef"[x&15]
	}
	return string(b)
}

// subset is truth for nodes only.
func subset(truth map[string]int64, nodes []string) map[string]int64 {
	out := map[string]int64{}
	for _, n := range nodes {
		out[n] = truth[n]
	}
	return out
}

func never(error) bool { return false }

func nginxClient(t *testing.T, url string, tweak func(*scrape.Options)) *scrape.Client {
	t.Helper()
	o := scrape.Options{
		URL:          url + "/data/{node}.json",
		Concurrency:  16,
		StallTimeout: 5 * time.Second,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   50 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&o)
	}
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestNginxRateLimit: a real nginx limit_req (GCRA: 100/s, burst 4, no
// rate headers), once bare and once with Retry-After: 1 on every 429, and
// a client with no --rate at 16 workers. The server would eventually
// serve everything, so nothing may be dead-lettered however many 429s it
// sends, and every answer is counted: 200s plus 429s are the requests.
func TestNginxRateLimit(t *testing.T) {
	for _, ra := range []string{"", "1"} {
		t.Run("retry-after="+ra, func(t *testing.T) {
			t.Parallel()
			files, truth, nodes := nginxBodies(100, 40)
			srv := nginxtest.Start(t, nginxtest.Config{Rate: 100, Burst: 4, RetryAfter: ra, Files: files})
			c := nginxClient(t, srv.URL, nil)
			outs := fetchAll(t, c, nodes, 16)
			if dead := checkNginx(t, outs, truth, never); dead > 0 {
				t.Errorf("%d dead letters from a server that serves everything in time\n%s", dead, srv.ErrorLog())
			}
			st := c.Stats()
			if st.Status429 == 0 {
				t.Error("no 429 from a burst of 4 and 16 workers: the test proves nothing")
			}
			if st.Requests != int64(len(nodes))+st.Status429 || st.Failures != 0 {
				t.Errorf("stats %+v: want %d requests = nodes + 429s", st, int64(len(nodes))+st.Status429)
			}
			t.Logf("%d requests, %d answered 429, final rate %.0f/s", st.Requests, st.Status429, st.Rate)
		})
	}
}

// toxicProxy starts an in-process toxiproxy in front of upstream and
// returns its URL and the proxy, stopped when t ends.
func toxicProxy(t *testing.T, upstream string) (string, *toxiproxy.Proxy) {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "nginx", "127.0.0.1:0", strings.TrimPrefix(upstream, "http://"))
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return "http://" + p.Listen, p
}

// cutBody reports whether a final error is that of a body the network
// cut: the only dead letters a toxic that cuts may cause.
func cutBody(err error) bool {
	s := err.Error()
	return strings.Contains(s, "read body") || strings.Contains(s, "EOF") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// TestToxics: toxiproxy between the client and a real nginx, one toxic at
// a time, added after the client's keep-alive connections are open so that
// it reaches them too (toxiproxy adds a toxic to every live link). Slow,
// sliced and jittery networks must cost time only; a reset or a connection
// cut after some bytes may dead-letter only bodies actually cut.
func TestToxics(t *testing.T) {
	for _, tt := range []struct {
		name    string
		toxic   string
		mayFail func(error) bool
	}{
		{"latency", `{"type":"latency","attributes":{"latency":20,"jitter":15}}`, never},
		{"bandwidth", `{"type":"bandwidth","attributes":{"rate":256}}`, never},
		{"slicer", `{"type":"slicer","attributes":{"average_size":24,"size_variation":16,"delay":200}}`, never},
		{"reset_peer", `{"name":"t","type":"reset_peer","attributes":{"timeout":0}}`, cutBody},
		{"limit_data", `{"type":"limit_data","attributes":{"bytes":6000}}`, cutBody},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, truth, nodes := nginxBodies(48, 600)
			srv := nginxtest.Start(t, nginxtest.Config{Files: files})
			url, p := toxicProxy(t, srv.URL)
			c := nginxClient(t, url, func(o *scrape.Options) { o.Concurrency = 8; o.MaxAttempts = 8 })
			// Warm up: 8 nodes open the pool's keep-alive connections.
			warm := fetchAll(t, c, nodes[:8], 8)
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(tt.toxic)); err != nil {
				t.Fatal(err)
			}
			var rest []outcome
			if tt.name == "reset_peer" {
				// Every connection is reset: 8 nodes under it may fail as
				// cut; once it is gone the pool must recover for the rest.
				rest = fetchAll(t, c, nodes[8:16], 8)
				if err := p.Toxics.RemoveToxic(context.Background(), "t"); err != nil {
					t.Fatal(err)
				}
				after := fetchAll(t, c, nodes[16:], 8)
				if dead := checkNginx(t, after, subset(truth, nodes[16:]), never); dead > 0 {
					t.Errorf("%d dead letters after the resets stopped", dead)
				}
				rest = append(rest, after...)
			} else {
				rest = fetchAll(t, c, nodes[8:], 8)
			}
			dead := checkNginx(t, append(warm, rest...), truth, tt.mayFail)
			st := c.Stats()
			t.Logf("%d dead, stats %+v", dead, st)
			if (tt.name == "limit_data" || tt.name == "reset_peer") && st.Retries == 0 {
				t.Errorf("%s cut nothing: the test proves nothing", tt.name)
			}
		})
	}
}
