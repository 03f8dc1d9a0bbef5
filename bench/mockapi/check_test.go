package mockapi

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/store"
)

func TestRecordDiff(t *testing.T) {
	first, last := int64(3600), int64(7300)
	truth := synth.Truth{Count: 3, First: first, Last: last, PerHour: map[int64]int64{3600: 2, 7200: 1}}
	good := store.Record{Node: "AS1", Count: 3, First: &first, Last: &last,
		Buckets: store.Buckets{{Start: "1970-01-01T01:00:00Z", Count: 2}, {Start: "1970-01-01T02:00:00Z", Count: 1}}}
	if d := RecordDiff(good, truth); d != "" {
		t.Fatalf("equal record: %s", d)
	}
	other := last + 1
	for name, tt := range map[string]struct {
		edit func(*store.Record)
		want string
	}{
		"count":          {func(r *store.Record) { r.Count = 4 }, "count 4"},
		"invalid":        {func(r *store.Record) { r.Invalid = 1 }, "invalid 1"},
		"last":           {func(r *store.Record) { r.Last = &other }, "first/last"},
		"missing bucket": {func(r *store.Record) { r.Buckets = store.Buckets{{Start: "1970-01-01T01:00:00Z", Count: 3}} }, "1 hourly buckets, truth 2"},
		"wrong bucket": {func(r *store.Record) {
			r.Buckets = store.Buckets{{Start: "1970-01-01T01:00:00Z", Count: 1}, {Start: "1970-01-01T03:00:00Z", Count: 2}}
		}, "bucket 1970-01-01T01:00:00Z: 1, truth 2"},
		"no buckets": {func(r *store.Record) { r.Buckets = nil }, "0 hourly buckets"},
	} {
		r := good
		tt.edit(&r)
		if d := RecordDiff(r, truth); !strings.Contains(d, tt.want) {
			t.Errorf("%s: diff %q, want it to contain %q", name, d, tt.want)
		}
	}
}
