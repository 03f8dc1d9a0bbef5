package mockapi

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/sluicehq/sluice/bench/synth"
)

// Bodies parse, match /truth and Server.Truth, and equal the synth body.
func TestBodiesMatchTruth(t *testing.T) {
	inst := start(t, Config{Seed: 7, Sizes: SizeDist{Kind: SizeUniform, Min: 1 << 10, Max: 256 << 10},
		Overrides: map[string]Override{"AS5": {Updates: 3000}, "AS6": {Size: 10}}})
	c := client()
	cases := []struct {
		resource string
		extra    []string
	}{
		{"AS3333", nil},
		{"193.0.0.0/21", []string{"starttime", "2026-08-18T00:00:00", "endtime", "2026-08-18T06:00:00"}},
		{"AS1103", []string{"starttime", "1662940800", "endtime", "1663027200", "unix_timestamps", "TRUE"}},
		{"AS5", []string{"endtime", "2022-09-14"}},
		{"AS6", nil},
		{"AS3333,AS1103", []string{"starttime", "2022-09-12T10:00:00Z"}},
	}
	for _, cs := range cases {
		r := get(t, c, dataURL(inst, cs.resource, cs.extra...))
		if r.err != nil || r.status != 200 {
			t.Fatalf("%s: status %d err %v", cs.resource, r.status, r.err)
		}
		if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
			t.Errorf("%s: Content-Length %s, body %d", cs.resource, cl, len(r.body))
		}
		got, b := truthOfBody(t, r.body)
		if b.Status != "ok" || b.Data.Resource != cs.resource {
			t.Fatalf("%s: status %q resource %q", cs.resource, b.Status, b.Data.Resource)
		}
		// /truth with the same window.
		tu := strings.Replace(dataURL(inst, cs.resource, cs.extra...), DataPath, "/truth", 1)
		tr := get(t, c, tu)
		var tb truthBody
		if err := json.Unmarshal(tr.body, &tb); err != nil || tr.status != 200 {
			t.Fatalf("%s: /truth %d %v %s", cs.resource, tr.status, err, tr.body)
		}
		fromHTTP := synth.Truth{Count: tb.Count, PerHour: map[int64]int64{}}
		if tb.First != nil {
			fromHTTP.First, fromHTTP.Last = *tb.First, *tb.Last
		}
		for k, v := range tb.PerHour {
			h, err := time.Parse(time.RFC3339, k)
			if err != nil {
				t.Fatal(err)
			}
			fromHTTP.PerHour[h.Unix()] = v
		}
		if !sameTruth(got, fromHTTP) {
			t.Errorf("%s: body truth %+v, /truth %+v", cs.resource, got, fromHTTP)
		}
		unix := len(cs.extra) == 6
		if tb.Bytes != int64(len(r.body)) && !unix {
			t.Errorf("%s: /truth bytes %d, body %d", cs.resource, tb.Bytes, len(r.body))
		}
		if cs.resource == "AS5" && got.Count != 3000 {
			t.Errorf("AS5 override: %d updates", got.Count)
		}
		if cs.resource == "AS6" && got.Count != 0 {
			t.Errorf("AS6 override: %d updates", got.Count)
		}
	}
	// Go side, default window.
	want, err := inst.Server.Truth("AS3333", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := truthOfBody(t, get(t, c, dataURL(inst, "AS3333")).body)
	if !sameTruth(got, want) {
		t.Errorf("Server.Truth %+v, body %+v", want, got)
	}
	if _, err := inst.Server.Truth("not a resource", time.Time{}, time.Time{}); err == nil {
		t.Error("Truth of an invalid resource: no error")
	}
}

// The same seed gives the same bodies, a different seed other ones.
func TestBodiesReproducible(t *testing.T) {
	cfg := Config{Seed: 11, Sizes: SizeDist{Kind: SizeFixed, Min: 20 << 10, Max: 20 << 10}}
	a, b := start(t, cfg), start(t, cfg)
	cfg.Seed = 12
	other := start(t, cfg)
	c := client()
	for _, res := range []string{"AS1", "AS2", "10.0.0.0/8"} {
		ra, rb, ro := get(t, c, dataURL(a, res)), get(t, c, dataURL(b, res)), get(t, c, dataURL(other, res))
		if !bytes.Equal(ra.body, rb.body) {
			t.Errorf("%s: same seed, different bodies", res)
		}
		if bytes.Equal(ra.body, ro.body) {
			t.Errorf("%s: different seeds, same body", res)
		}
		// A second request for the same resource gets the same bytes.
		if again := get(t, c, dataURL(a, res)); !bytes.Equal(again.body, ra.body) {
			t.Errorf("%s: body changed between requests", res)
		}
	}
}

func TestCompression(t *testing.T) {
	inst := start(t, Config{Seed: 3, Sizes: SizeDist{Kind: SizeFixed, Min: 300 << 10, Max: 300 << 10}})
	c := client()
	plain := get(t, c, dataURL(inst, "AS3333"))
	if plain.header.Get("Content-Encoding") != "" {
		t.Fatal("identity answer has a Content-Encoding")
	}
	cases := []struct {
		accept, want string
		decode       func([]byte) ([]byte, error)
	}{
		{"gzip", "gzip", gunzip},
		{"gzip, deflate, br", "gzip", gunzip},
		{"zstd", "zstd", unzstd},
		{"gzip;q=0.5, zstd", "zstd", unzstd},
		{"zstd;q=0, gzip", "gzip", gunzip},
		{"br", "", nil},
	}
	for _, cs := range cases {
		r := get(t, c, dataURL(inst, "AS3333"), "Accept-Encoding", cs.accept)
		if r.err != nil || r.status != 200 {
			t.Fatalf("%s: %d %v", cs.accept, r.status, r.err)
		}
		if got := r.header.Get("Content-Encoding"); got != cs.want {
			t.Errorf("%s: Content-Encoding %q, want %q", cs.accept, got, cs.want)
		}
		body := r.body
		if cs.decode != nil {
			var err error
			if body, err = cs.decode(r.body); err != nil {
				t.Fatalf("%s: decode: %v", cs.accept, err)
			}
			if len(r.body) >= len(body)/2 {
				t.Errorf("%s: %d wire bytes for %d body bytes: not compressed", cs.accept, len(r.body), len(body))
			}
		}
		if !bytes.Equal(body, plain.body) {
			t.Errorf("%s: decoded body differs from the identity body", cs.accept)
		}
	}
}

func gunzip(b []byte) ([]byte, error) {
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

func unzstd(b []byte) ([]byte, error) {
	z, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer z.Close()
	return io.ReadAll(z)
}

func TestClientErrors(t *testing.T) {
	inst := start(t, Config{Limit: 100, Window: time.Minute})
	c := client()
	cases := []struct {
		name, url string
		status    int
		mention   string
	}{
		{"unknown path", inst.URL + "/nope", 404, "/nope"},
		{"unknown data call", inst.URL + "/data/bgp-nothing/data.json?resource=AS1", 404, "bgp-nothing"},
		{"missing resource", inst.URL + DataPath, 400, "resource parameter is required"},
		{"bad resource", dataURL(inst, "AS-FOO"), 400, "AS-FOO"},
		{"bad starttime", dataURL(inst, "AS1", "starttime", "yesterday"), 400, "starttime"},
		{"bad endtime", dataURL(inst, "AS1", "endtime", "2022-13-45"), 400, "endtime"},
		{"inverted window", dataURL(inst, "AS1", "starttime", "2022-09-12T10:00:00", "endtime", "2022-09-12T09:00:00"), 400, "not after"},
		{"bad unix flag", dataURL(inst, "AS1", "unix_timestamps", "maybe"), 400, "unix_timestamps"},
		{"truth bad resource", inst.URL + "/truth?resource=%3Cscript%3E", 400, "resource"},
	}
	for _, cs := range cases {
		r := get(t, c, cs.url)
		if r.status != cs.status {
			t.Errorf("%s: status %d, want %d", cs.name, r.status, cs.status)
			continue
		}
		var b errorBody
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Errorf("%s: body is not JSON: %v", cs.name, err)
			continue
		}
		if b.Status != "error" || b.StatusCode != cs.status || len(b.Messages) != 1 || !strings.Contains(b.Messages[0][1], cs.mention) {
			t.Errorf("%s: body %+v, want status_code %d and a message mentioning %q", cs.name, b, cs.status, cs.mention)
		}
		if strings.HasPrefix(cs.url, inst.URL+"/data/") && r.header.Get("X-RateLimit-Limit") != "100" {
			t.Errorf("%s: no X-RateLimit-Limit on a data answer", cs.name)
		}
	}
	resp, err := c.Post(dataURL(inst, "AS1"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("POST: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
