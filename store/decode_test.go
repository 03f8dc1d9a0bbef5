package store

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are lines with what the decoder must make of them; the
// fuzz test starts from them.
var decodeCases = []struct {
	name, line string
	err        string // "" for a line that decodes
}{
	{"written by sluice", `{"node":"AS1","count":2,"invalid":1,"first":10,"last":20,"buckets":{"2022-09-12T00:00:00Z":2},"bytes":300,"attempts":1,"duration_ms":5,"mode":"stream"}`, ""},
	{"spaces and nulls", ` { "node" : "AS2" , "first" : null , "last":null, "buckets" : null } `, ""},
	{"escapes", `{"node":"AS\"64500\",x\u00e9","mode":"r\u0065gex"}`, ""},
	{"empty buckets", `{"node":"AS3","buckets":{}}`, ""},
	{"unknown field", `{"node":"AS1","colour":"red"}`, `unknown field "colour"`},
	{"field twice", `{"node":"AS1","node":"AS2"}`, `given twice`},
	{"bucket twice", `{"node":"AS1","buckets":{"a":1,"a":2}}`, `given twice`},
	{"fraction", `{"node":"AS1","count":1.5}`, "not an integer"},
	{"leading zero", `{"node":"AS1","count":01}`, "leading zero"},
	{"overflow", `{"node":"AS1","count":9223372036854775808}`, "out of range"},
	{"cut short", `{"node":`, "unexpected end"},
	{"trailing data", `{"node":"AS1"} x`, "data after"},
	{"null bucket key", `{"node":"AS1","buckets":{null:1}}`, "want a bucket key"},
	{"control character", "{\"node\":\"A\x01\"}", "control character"},
}

func TestRecordDecoder(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			var d recordDecoder
			var got Record
			err := d.decode([]byte(tc.line), &got)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("decode: %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want Record
			if err := referenceUnmarshal([]byte(tc.line), &want); err != nil {
				t.Fatalf("encoding/json refuses it: %v", err)
			}
			if !sameRecord(got, want) {
				t.Fatalf("got %+v, encoding/json %+v", got, want)
			}
		})
	}
}

// FuzzRecordDecoder: whatever the decoder accepts, encoding/json (with
// unknown fields refused) accepts too, with the same Record; and every
// Record with valid buckets that encoding/json writes, the decoder reads
// back.
func FuzzRecordDecoder(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var d recordDecoder
		var got Record
		if err := d.decode(line, &got); err == nil {
			var want Record
			if err := referenceUnmarshal(line, &want); err != nil {
				t.Fatalf("decoder accepts %q, encoding/json refuses it: %v", line, err)
			}
			if !sameRecord(got, want) {
				t.Fatalf("%q: decoder %+v, encoding/json %+v", line, got, want)
			}
		}
		var rec Record
		if referenceUnmarshal(line, &rec) != nil || rec.validateBuckets() != nil {
			return // the decoder checks the buckets as it reads them
		}
		out, err := json.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := d.decode(out, &back); err != nil {
			t.Fatalf("decoder refuses %s, written by encoding/json: %v", out, err)
		}
		if !sameRecord(back, rec) {
			t.Fatalf("%s: decoder %+v, encoding/json %+v", out, back, rec)
		}
	})
}

// sameRecord compares records, a nil map equal to an empty one (as
// omitempty writes them).
func sameRecord(a, b Record) bool {
	if !maps.Equal(a.Buckets, b.Buckets) {
		return false
	}
	a.Buckets, b.Buckets = nil, nil
	return reflect.DeepEqual(a, b)
}
