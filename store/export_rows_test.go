package store

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"testing"
)

// rowTexts are node names and keys that need CSV quoting or JSON
// escaping, or look as if they might.
var rowTexts = []string{
	"", "AS3333", "2001:db8::/32", `AS"64500",x`, " lead", "\tlead", "\u00a0nbsp", `\.`, `\`, "a\r\nb", "a\nb",
	"<html>&", "caf\u00e9", "\u2028", "bad\xffutf8", "comma,", "trail ", "2022-09-12T00:00:00Z",
}

// TestAppendCSVField: the same bytes as encoding/csv's Writer.
func TestAppendCSVField(t *testing.T) {
	for _, s := range rowTexts {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		if err := w.Write([]string{s, "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got := append(appendCSVField(nil, s), ",x\n"...)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: got %q, encoding/csv %q", s, got, want.Bytes())
		}
	}
}

// TestAppendJSONString: the same bytes as encoding/json.
func TestAppendJSONString(t *testing.T) {
	for _, s := range rowTexts {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, encoding/json %s", s, got, want)
		}
	}
}

// TestNDJSONOKRow: appendOK writes an ok row as encoding/json writes
// ndjsonRow.
func TestNDJSONOKRow(t *testing.T) {
	first, last := int64(-5), int64(1<<62)
	for _, bucketed := range []bool{false, true} {
		for _, s := range rowTexts {
			f := &exportFolder{windowStart: s, params: Params{Shard: s}}
			r := &exportRow{Record: Record{Node: s, Count: 3, Invalid: 1, First: &first, Last: &last, Bytes: 9, Attempts: 2}, folder: f}
			if s != "" {
				r.buckets = []bucketCount{{key: s, count: 1}, {key: "2022-09-12T00:00:00Z", count: 2, canonical: true}}
			}
			var out bytes.Buffer
			n := &ndjsonRows{w: bufio.NewWriter(&out), bucketed: bucketed}
			if err := n.row(r); err != nil {
				t.Fatal(err)
			}
			n.w.Flush()
			l := ndjsonRow{Node: s, Status: "ok", WindowStart: s, Shard: s, Count: &r.Count, Invalid: &r.Invalid,
				First: &first, Last: &last, Bytes: &r.Bytes, Attempts: 2}
			if bucketed {
				bs := []jsonBucket{}
				for _, b := range r.buckets {
					bs = append(bs, jsonBucket{b.key, b.count})
				}
				l.Buckets = &bs
			}
			want, _ := json.Marshal(l)
			if want = append(want, '\n'); !bytes.Equal(out.Bytes(), want) {
				t.Errorf("bucketed %v, %q:\ngot  %s\nwant %s", bucketed, s, out.Bytes(), want)
			}
		}
	}
}

// TestBucketsJSON: Buckets are written as encoding/json writes the map
// they stood for before, so batch files stay byte-identical, whatever the
// order of the slice; a key given twice is an error.
func TestBucketsJSON(t *testing.T) {
	bs := Buckets{{"b<", 2}, {"2022-09-12T01:00:00Z", 1}, {"2022-09-12T00:00:00Z", 3}, {"caf\u00e9", 4}}
	m := map[string]int64{}
	for _, b := range bs {
		m[b.Start] = b.Count
	}
	got, err := json.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %s, a map gives %s", got, want)
	}
	var back Buckets
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	sorted, _ := bs.Sorted()
	if !back.Equal(sorted) {
		t.Fatalf("read back %v, want %v", back, sorted)
	}
	if n, ok := back.Get("b<"); !ok || n != 2 {
		t.Fatalf("Get: %d %v", n, ok)
	}
	if _, err := json.Marshal(Buckets{{"a", 1}, {"a", 2}}); err == nil {
		t.Fatal("a key given twice was written")
	}
}
