package extract

import (
	"maps"
	"testing"
	"time"
)

func TestTally(t *testing.T) {
	tl := Tally{Bucket: time.Hour}
	for _, raw := range []string{
		`"2022-09-12T08:00:03"`, `"2022-09-12T07:59:59Z"`, `null`, `"n/a"`,
		`1662969603`, `"2022-09-12T09:00:00+01:00"`, `true`, `"2022-09-12T10:30:00"`,
	} {
		tl.Add([]byte(raw))
	}
	const h7, h8, h10 = 1662966000, 1662969600, 1662976800
	if tl.Count != 5 || tl.Invalid != 3 {
		t.Fatalf("Count, Invalid = %d, %d; want 5, 3", tl.Count, tl.Invalid)
	}
	if tl.First != h8-1 || tl.Last != h10+1800 {
		t.Errorf("First, Last = %d, %d; want %d, %d", tl.First, tl.Last, h8-1, h10+1800)
	}
	want := map[int64]int64{h7: 1, h8: 3, h10: 1}
	if !maps.Equal(tl.Buckets, want) {
		t.Errorf("Buckets = %v; want %v", tl.Buckets, want)
	}

	tl.Reset()
	if tl.Count != 0 || tl.Invalid != 0 || len(tl.Buckets) != 0 || tl.Buckets == nil || tl.Bucket != time.Hour {
		t.Fatalf("after Reset: %+v", tl)
	}
	// After a Reset, First and Last follow the new values only.
	tl.Add([]byte(`-3601`))
	if tl.First != -3601 || tl.Last != -3601 || !maps.Equal(tl.Buckets, map[int64]int64{-7200: 1}) {
		t.Errorf("negative value: %+v", tl)
	}
}

func TestTallyZeroValue(t *testing.T) {
	var tl Tally
	tl.Add([]byte(`5`))
	tl.Add([]byte(`3`))
	if tl.Count != 2 || tl.First != 3 || tl.Last != 5 || tl.Buckets != nil {
		t.Errorf("zero Tally: %+v", tl)
	}
}

func TestTallyMilliseconds(t *testing.T) {
	tl := Tally{Unit: Milliseconds, Bucket: 500 * time.Millisecond}
	tl.Add([]byte(`1500`))
	tl.Add([]byte(`"1970-01-01T00:00:02Z"`)) // strings ignore the unit
	if tl.First != 1 || tl.Last != 2 || !maps.Equal(tl.Buckets, map[int64]int64{1: 1, 2: 1}) {
		t.Errorf("ms tally: %+v", tl)
	}
}

func TestTallyAddAllocs(t *testing.T) {
	tl := Tally{Bucket: time.Hour}
	v := []byte(`"2022-09-12T08:00:03"`)
	tl.Add(v)
	if n := testing.AllocsPerRun(100, func() { tl.Add(v) }); n != 0 {
		t.Errorf("Tally.Add: %v allocs per value, want 0", n)
	}
}

// BenchmarkTallyAdd measures Tally.Add per value, parse included, on a
// run of RIPEstat's timestamps a second apart: without per-bucket counts,
// with a window (the dense array) and with the bucket map. cpu-ns/op is
// the process's CPU time per value:
//
//	go test -run '^$' -bench TallyAdd -cpu 1 ./extract
func BenchmarkTallyAdd(b *testing.B) {
	vals := make([][]byte, 4096)
	for i := range vals {
		vals[i] = []byte(`"` + time.Unix(1662969603+int64(i), 0).UTC().Format("2006-01-02T15:04:05") + `"`)
	}
	for _, c := range []struct {
		name string
		t    Tally
	}{
		{"counts", Tally{}},
		{"window", Tally{Bucket: time.Minute, Start: 1662940800, End: 1662940800 + 86400}},
		{"map", Tally{Bucket: time.Minute}},
	} {
		b.Run(c.name, func(b *testing.B) {
			tl := c.t
			b.ReportAllocs()
			c0 := cpuTime()
			i := 0
			for b.Loop() {
				tl.Add(vals[i&(len(vals)-1)])
				i++
			}
			if cpu := cpuTime() - c0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			if tl.Count != int64(b.N) || tl.Invalid != 0 {
				b.Fatalf("counted %d valid, %d invalid of %d", tl.Count, tl.Invalid, b.N)
			}
		})
	}
}
