package store

import (
	"encoding/json"
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
	{"buckets out of order", `{"node":"AS1","buckets":{"b":1,"a":2}}`, ""},
	{"bucket twice out of order", `{"node":"AS1","buckets":{"b":1,"a":2,"b":3}}`, "given twice"},
	{"bucket count with leading zero", `{"node":"AS1","buckets":{"a":01}}`, "leading zero"},
	{"bucket count negative", `{"node":"AS1","buckets":{"a":-1}}`, "negative count"},
	{"bucket count fraction", `{"node":"AS1","buckets":{"a":1.5}}`, "not an integer"},
	{"bucket count huge", `{"node":"AS1","buckets":{"a":99999999999999999999}}`, "out of range"},
	{"escaped bucket key", `{"node":"AS1","buckets":{"\u0061":1,"b":2}}`, ""},
	{"fields in another order", `{"mode":"stream","node":"AS1","outside":0,"count":0}`, ""},
}

// primers are lines a decoder reads before a case's line: the fast paths
// (fastBucket, fastKey) take their keys from the line before, so each
// case is read again after each of them, and must decode the same.
var primers = []string{
	`{"node":"AS0","buckets":{"a":1,"b":2,"c":3}}`,
	`{"node":"AS0","buckets":{"b":1,"a":2}}`,
	`{"node":"AS0","buckets":{"\u0061":1,"a\"b":2}}`,
	`{"node":"AS0","count":1,"first":1,"last":1,"buckets":{"2022-09-12T00:00:00Z":1},"bytes":3,"attempts":1,"duration_ms":1,"mode":"stream"}`,
}

func TestRecordDecoder(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, primer := range append([]string{"", tc.line}, primers...) {
				var d recordDecoder
				var got Record
				if primer != "" {
					d.decode([]byte(primer), &got) // for what it teaches d
				}
				checkDecodeCase(t, &d, tc.line, tc.err)
			}
		})
	}
}

func checkDecodeCase(t *testing.T, d *recordDecoder, line, wantErr string) {
	t.Helper()
	var got Record
	err := d.decode([]byte(line), &got)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("decode: %v, want an error containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var want Record
	if err := referenceUnmarshal([]byte(line), &want); err != nil {
		t.Fatalf("encoding/json refuses it: %v", err)
	}
	if !sameRecord(got, want) {
		t.Fatalf("got %+v, encoding/json %+v", got, want)
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
		err := d.decode(line, &got)
		if err == nil {
			var want Record
			if err := referenceUnmarshal(line, &want); err != nil {
				t.Fatalf("decoder accepts %q, encoding/json refuses it: %v", line, err)
			}
			if !sameRecord(got, want) {
				t.Fatalf("%q: decoder %+v, encoding/json %+v", line, got, want)
			}
		}
		// Again, with the keys the first read taught d: the fast paths
		// must agree with the general one.
		var again Record
		if err2 := d.decode(line, &again); (err == nil) != (err2 == nil) || (err == nil && !sameRecord(got, again)) {
			t.Fatalf("%q: first read %+v (%v), second %+v (%v)", line, got, err, again, err2)
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

// sameRecord compares records, nil buckets equal to empty ones (as
// omitempty writes them).
func sameRecord(a, b Record) bool {
	if !a.Buckets.Equal(b.Buckets) {
		return false
	}
	a.Buckets, b.Buckets = nil, nil
	return reflect.DeepEqual(a, b)
}
