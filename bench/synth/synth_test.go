package synth

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// body is the decoded shape the tests check.
type body struct {
	Status     string `json:"status"`
	StatusCode int    `json:"status_code"`
	Data       struct {
		Resource  string `json:"resource"`
		Start     string `json:"query_starttime"`
		End       string `json:"query_endtime"`
		NrUpdates int64  `json:"nr_updates"`
		Updates   []struct {
			Type      string          `json:"type"`
			Timestamp json.RawMessage `json:"timestamp"`
			Seq       int64           `json:"seq"`
			Attrs     struct {
				TargetPrefix string   `json:"target_prefix"`
				Path         []int64  `json:"path"`
				Community    []string `json:"community"`
				SourceID     string   `json:"source_id"`
			} `json:"attrs"`
		} `json:"updates"`
	} `json:"data"`
}

func readAll(t testing.TB, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := NewReader(o).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// truthOf recomputes the truth from a decoded body.
func truthOf(t *testing.T, b body, unix bool) Truth {
	t.Helper()
	tr := Truth{PerHour: map[int64]int64{}}
	prev := int64(-1 << 62)
	for i, u := range b.Data.Updates {
		var ts int64
		if unix {
			if err := json.Unmarshal(u.Timestamp, &ts); err != nil {
				t.Fatalf("update %d: timestamp %s: %v", i, u.Timestamp, err)
			}
		} else {
			var s string
			if err := json.Unmarshal(u.Timestamp, &s); err != nil {
				t.Fatalf("update %d: timestamp %s: %v", i, u.Timestamp, err)
			}
			tm, err := time.Parse(isoLayout, s)
			if err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
			ts = tm.Unix()
		}
		if ts < prev {
			t.Fatalf("update %d: timestamp %d before previous %d", i, ts, prev)
		}
		prev = ts
		if i == 0 {
			tr.First = ts
		}
		tr.Last = ts
		tr.Count++
		tr.PerHour[ts-ts%3600]++
	}
	return tr
}

func TestBodyMatchesTruth(t *testing.T) {
	day := time.Date(2026, 8, 18, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		o    Options
	}{
		{"default", Options{Resource: "AS3333", Seed: 1, Updates: 2000}},
		{"pretty", Options{Resource: "193.0.0.0/21", Seed: 2, Updates: 1500, Pretty: true}},
		{"unix", Options{Resource: "AS1103", Seed: 3, Updates: 2000, UnixTimestamps: true}},
		{"pretty-unix", Options{Resource: "2001:db8::/32", Seed: 4, Updates: 2000, Pretty: true, UnixTimestamps: true}},
		{"empty", Options{Resource: "AS1", Seed: 5}},
		{"empty-pretty", Options{Resource: "AS1", Seed: 5, Pretty: true}},
		{"one", Options{Resource: "AS2", Seed: 6, Updates: 1}},
		{"dense-short-window", Options{Resource: "AS7", Seed: 7, Updates: 3000, Start: day, End: day.Add(90 * time.Second)}},
		{"one-second", Options{Resource: "AS8", Seed: 8, Updates: 50, Start: day, End: day}},
		{"week", Options{Resource: "AS9", Seed: 9, Updates: 3000, Start: day, End: day.Add(7 * 24 * time.Hour)}},
		{"odd-bounds", Options{Resource: "AS10", Seed: 10, Updates: 999, Start: day.Add(1500 * time.Millisecond), End: day.Add(2*time.Hour + 1)}},
		{"maintenance", Options{Resource: "AS11", Seed: 11, Updates: 3, Status: "maintenance"}},
		{"weird-resource", Options{Resource: `"@U" <x> "updates":"@U"`, Seed: 12, Updates: 10}},
	}
	for seed := uint64(100); seed < 112; seed++ { // many layouts
		cases = append(cases, struct {
			name string
			o    Options
		}{"seed", Options{Resource: "AS3333", Seed: seed, Updates: 300, Pretty: seed%2 == 0}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := readAll(t, c.o)
			if size := c.o.Size(); size != int64(len(raw)) {
				t.Fatalf("Size() = %d, body has %d bytes", size, len(raw))
			}
			var b body
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatalf("body does not parse: %v\n%.400s", err, raw)
			}
			if !json.Valid(raw) {
				t.Fatal("json.Valid says no")
			}
			if b.Data.Resource != c.o.Resource || b.Data.NrUpdates != c.o.updates() || int64(len(b.Data.Updates)) != c.o.updates() {
				t.Fatalf("resource %q nr_updates %d len %d, want %q %d", b.Data.Resource, b.Data.NrUpdates, len(b.Data.Updates), c.o.Resource, c.o.updates())
			}
			if b.Status != c.o.status() || b.StatusCode != c.o.statusCode() {
				t.Fatalf("status %q %d", b.Status, b.StatusCode)
			}
			got, want := truthOf(t, b, c.o.UnixTimestamps), c.o.Truth()
			if got.Count != want.Count || got.First != want.First || got.Last != want.Last || len(got.PerHour) != len(want.PerHour) {
				t.Fatalf("truth from body %+v, Truth() %+v", got, want)
			}
			for h, n := range want.PerHour {
				if got.PerHour[h] != n {
					t.Fatalf("hour %d: body has %d, Truth() says %d", h, got.PerHour[h], n)
				}
			}
			start, end := c.o.window()
			if want.Count > 0 && (want.First < start || want.Last >= end) {
				t.Fatalf("timestamps [%d, %d] outside window [%d, %d)", want.First, want.Last, start, end)
			}
			var prevSeq int64
			for i, u := range b.Data.Updates {
				if u.Seq <= prevSeq {
					t.Fatalf("update %d: seq %d not increasing", i, u.Seq)
				}
				prevSeq = u.Seq
				switch u.Type {
				case "A":
					if len(u.Attrs.Path) < 2 || u.Attrs.Community == nil {
						t.Fatalf("update %d: announcement without path/community", i)
					}
				case "W":
					if u.Attrs.Path != nil || u.Attrs.Community != nil {
						t.Fatalf("update %d: withdrawal with path/community", i)
					}
				default:
					t.Fatalf("update %d: type %q", i, u.Type)
				}
				if u.Attrs.TargetPrefix == "" || u.Attrs.SourceID == "" {
					t.Fatalf("update %d: empty attrs", i)
				}
			}
			if c.o.Pretty != bytes.Contains(raw, []byte("\n  ")) {
				t.Fatalf("pretty=%v but indentation presence disagrees", c.o.Pretty)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	o := Options{Resource: "AS3333", Seed: 42, Updates: 2000}
	a, b := readAll(t, o), readAll(t, o)
	if !bytes.Equal(a, b) {
		t.Fatal("same options, different bodies")
	}
	for _, other := range []Options{
		{Resource: "AS3333", Seed: 43, Updates: 2000},
		{Resource: "AS3334", Seed: 42, Updates: 2000},
	} {
		if bytes.Equal(a, readAll(t, other)) {
			t.Fatalf("%+v gives the same body as %+v", other, o)
		}
	}
	// Truth too.
	t1, t2 := o.Truth(), o.Truth()
	if t1.First != t2.First || t1.Last != t2.Last || len(t1.PerHour) != len(t2.PerHour) {
		t.Fatal("Truth not deterministic")
	}
}

// The key order must vary with the seed: data first, in the middle, last.
func TestLayoutsVary(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(0); seed < 60; seed++ {
		raw := string(readAll(t, Options{Resource: "AS1", Seed: seed, Updates: 1}))
		d := strings.Index(raw, `"data":`)
		switch {
		case d == 1:
			seen["data-first"] = true
		case strings.HasSuffix(raw, "}}") && strings.Index(raw, `"time":`) < d:
			seen["data-last"] = true
		default:
			seen["data-middle"] = true
		}
		if strings.Contains(raw, `"pipeline":`) {
			seen["pipeline"] = true
		}
		if strings.Index(raw, `"seq":`) < strings.Index(raw, `"timestamp":`) {
			seen["seq-first"] = true
		} else {
			seen["timestamp-first"] = true
		}
	}
	for _, k := range []string{"data-first", "data-middle", "data-last", "pipeline", "seq-first", "timestamp-first"} {
		if !seen[k] {
			t.Errorf("no seed in 0..59 gives layout %s", k)
		}
	}
}

// Reading with any buffer size, or mixing Read and WriteTo, gives the
// same bytes as one WriteTo.
func TestReadSizes(t *testing.T) {
	o := Options{Resource: "AS3333", Seed: 7, Updates: 600, Pretty: true}
	want := readAll(t, o)
	for _, size := range []int{1, 2, 3, 7, 190, 4095, 4096, 32 << 10, 100_000, 1 << 20} {
		r := NewReader(o)
		var got []byte
		p := make([]byte, size)
		for {
			n, err := r.Read(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("buffer %d: bodies differ (len %d vs %d)", size, len(got), len(want))
		}
		if r.Offset() != int64(len(want)) {
			t.Fatalf("buffer %d: Offset %d, want %d", size, r.Offset(), len(want))
		}
	}
	// Half Read, half WriteTo.
	r := NewReader(o)
	head := make([]byte, 1000)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if _, err := r.WriteTo(&rest); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(head, rest.Bytes()...), want) {
		t.Fatal("Read then WriteTo differs")
	}
	// io.Copy uses WriteTo; io.ReadAll uses Read.
	all, err := io.ReadAll(NewReader(o))
	if err != nil || !bytes.Equal(all, want) {
		t.Fatalf("io.ReadAll differs: %v", err)
	}
}

func TestUpdatesForSize(t *testing.T) {
	for _, size := range []int64{64 << 10, 1 << 20, 8 << 20} {
		for seed := uint64(0); seed < 8; seed++ {
			n := UpdatesForSize(size)
			got, err := io.Copy(io.Discard, NewReader(Options{Resource: "AS3333", Seed: seed, Updates: n}))
			if err != nil {
				t.Fatal(err)
			}
			if ratio := float64(got) / float64(size); ratio < 0.85 || ratio > 1.15 {
				t.Errorf("size %d seed %d: UpdatesForSize %d gives %d bytes (ratio %.3f)", size, seed, n, got, ratio)
			}
		}
	}
	if UpdatesForSize(10) != 0 {
		t.Error("tiny size should give 0 updates")
	}
}

func TestTimestampFormat(t *testing.T) {
	var f tsFormatter
	for _, ts := range []int64{0, 1, 86399, 86400, 951782400, 1662969603, 1709164800, 4102444800, 253402300799, -1, -86401, -62135596800} {
		got := string(f.append(nil, ts))
		want := `"` + time.Unix(ts, 0).UTC().Format(isoLayout) + `"`
		if got != want {
			t.Errorf("ts %d: %s, want %s", ts, got, want)
		}
	}
}

func FuzzTruthMatchesBody(f *testing.F) {
	f.Add("AS3333", uint64(1), int64(50), int64(3600), false, false)
	f.Add("1.1.1.0/24", uint64(2), int64(500), int64(60), true, true)
	f.Fuzz(func(t *testing.T, res string, seed uint64, n, span int64, pretty, unix bool) {
		n %= 2000
		start := time.Date(2024, 2, 28, 23, 0, 0, 0, time.UTC)
		o := Options{Resource: res, Seed: seed, Updates: n, Start: start, End: start.Add(time.Duration(span%(1<<20)) * time.Second), Pretty: pretty, UnixTimestamps: unix}
		raw := readAll(t, o)
		var b body
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("does not parse: %v", err)
		}
		got, want := truthOf(t, b, unix), o.Truth()
		if got.Count != want.Count || got.First != want.First || got.Last != want.Last {
			t.Fatalf("body %+v, Truth %+v", got, want)
		}
	})
}

func BenchmarkReader(b *testing.B) {
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"compact", Options{Resource: "AS3333", Seed: 1, Updates: UpdatesForSize(64 << 20)}},
		{"pretty", Options{Resource: "AS3333", Seed: 1, Updates: UpdatesForSize(64 << 20), Pretty: true}},
		{"unix", Options{Resource: "AS3333", Seed: 1, Updates: UpdatesForSize(64 << 20), UnixTimestamps: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			size, _ := io.Copy(io.Discard, NewReader(c.o))
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				io.Copy(io.Discard, NewReader(c.o))
			}
		})
	}
}

func BenchmarkTruth(b *testing.B) {
	o := Options{Resource: "AS3333", Seed: 1, Updates: UpdatesForSize(64 << 20)}
	b.ReportAllocs()
	for b.Loop() {
		o.Truth()
	}
}

// BenchmarkPeerJSONEncoder is the peer of BenchmarkReader: encoding/json
// writing the same number of similar updates, a floor any generator must
// beat by far.
func BenchmarkPeerJSONEncoder(b *testing.B) {
	type attrs struct {
		TargetPrefix string   `json:"target_prefix"`
		Path         []int64  `json:"path"`
		Community    []string `json:"community"`
		SourceID     string   `json:"source_id"`
	}
	type update struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Attrs     attrs  `json:"attrs"`
		Seq       int64  `json:"seq"`
	}
	n := UpdatesForSize(64 << 20)
	u := update{Type: "A", Attrs: attrs{TargetPrefix: "193.0.0.0/21", Path: []int64{3333, 1103, 174, 13335}, Community: []string{"1103:1000", "3333:7"}, SourceID: "00-192.0.2.1"}}
	var cw countWriter
	enc := json.NewEncoder(&cw)
	start := DefaultStart()
	b.ReportAllocs()
	for i := range n {
		u.Timestamp = start.Add(time.Duration(i) * time.Second / 4).Format(isoLayout)
		u.Seq = 775571759824898 + i
		enc.Encode(&u)
	}
	b.SetBytes(cw.n)
	for b.Loop() {
		for i := range n {
			u.Timestamp = start.Add(time.Duration(i) * time.Second / 4).Format(isoLayout)
			u.Seq = 775571759824898 + i
			enc.Encode(&u)
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
