package mockapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
)

// fakeClock is a settable Now for the rate-limit windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func start(t *testing.T, cfg Config) *Instance {
	t.Helper()
	inst, err := Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := inst.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return inst
}

// client is a plain client that neither adds Accept-Encoding nor decodes.
func client() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 60 * time.Second}
}

func dataURL(inst *Instance, resource string, extra ...string) string {
	v := url.Values{"resource": {resource}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return inst.URL + DataPath + "?" + v.Encode()
}

type response struct {
	status int
	header http.Header
	body   []byte
	err    error // reading the body
}

func get(t *testing.T, c *http.Client, u string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// parsedBody decodes a bgp-updates body far enough to recompute its truth.
type parsedBody struct {
	Status     string `json:"status"`
	StatusCode int    `json:"status_code"`
	Messages   [][]string
	Data       struct {
		Resource string `json:"resource"`
		Updates  []struct {
			Timestamp json.RawMessage `json:"timestamp"`
		} `json:"updates"`
	} `json:"data"`
}

func truthOfBody(t *testing.T, raw []byte) (synth.Truth, parsedBody) {
	t.Helper()
	var b parsedBody
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("body does not parse: %v (%d bytes: %.200s)", err, len(raw), raw)
	}
	tr := synth.Truth{PerHour: map[int64]int64{}}
	for i, u := range b.Data.Updates {
		var ts int64
		if err := json.Unmarshal(u.Timestamp, &ts); err != nil {
			var s string
			if err := json.Unmarshal(u.Timestamp, &s); err != nil {
				t.Fatalf("update %d: timestamp %s", i, u.Timestamp)
			}
			tm, err := time.Parse("2006-01-02T15:04:05", s)
			if err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
			ts = tm.Unix()
		}
		if i == 0 {
			tr.First = ts
		}
		tr.Last = ts
		tr.Count++
		tr.PerHour[ts-ts%3600]++
	}
	return tr, b
}

var zeroTime time.Time

func sameTruth(a, b synth.Truth) bool {
	if a.Count != b.Count || (a.Count > 0 && (a.First != b.First || a.Last != b.Last)) || len(a.PerHour) != len(b.PerHour) {
		return false
	}
	for k, v := range a.PerHour {
		if b.PerHour[k] != v {
			return false
		}
	}
	return true
}
