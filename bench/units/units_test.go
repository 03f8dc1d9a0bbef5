package units

import (
	"fmt"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"4096", 4096}, {"64KiB", 64 << 10}, {"64kib", 64 << 10}, {"16GiB", 16 << 30}, {"16gib", 16 << 30},
		{"10MB", 10e6}, {"10mb", 10e6}, {"1.5GiB", 3 << 29}, {"2T", 2 << 40}, {"1TiB", 1 << 40}, {"3TB", 3e12},
		{"512K", 512 << 10}, {" 1 GiB ", 1 << 30}, {"7B", 7}, {"0", 0},
	} {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "KiB", "-1", "1XB", "NaN", "1e30GiB", "16 GiBs"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

// ExactSize and ParseSize round-trip: what help shows is what a flag takes.
func TestExactSizeRoundTrip(t *testing.T) {
	for _, b := range []int64{0, 1, 1000, 4096, 65536, 16 << 30, 3 << 40, 1<<20 + 1} {
		s := ExactSize(b)
		got, err := ParseSize(s)
		if err != nil || got != b {
			t.Errorf("ExactSize(%d) = %q, read back %d, %v", b, s, got, err)
		}
	}
	if s := ExactSize(16 << 30); s != "16GiB" {
		t.Errorf("ExactSize(16 GiB) = %q", s)
	}
}

func ExampleSize() {
	var z Size
	if err := z.Set("16GiB"); err != nil {
		panic(err)
	}
	fmt.Println(int64(z), z.String(), FormatSize(int64(z)))
	// Output: 17179869184 16GiB 16 GiB
}

// The cases of bench/report's parser, which this one replaced.
func TestParseSizeReport(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"4096", 4096},
		{"64KiB", 64 << 10},
		{"64 KiB", 64 << 10},
		{"64kib", 64 << 10},
		{"64K", 64 << 10},
		{"1MiB", 1 << 20},
		{"1.5GiB", 3 << 29},
		{"100MB", 100e6},
		{"2GB", 2e9},
		{"7B", 7},
		{" 1 GiB ", 1 << 30},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1KiB", "12XB", "1e400", "NaN", "lots", "9999999TiB"} {
		if v, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, v)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{812, "812 B"},
		{1 << 10, "1 KiB"},
		{1536, "1.5 KiB"},
		{64 << 20, "64 MiB"},
		{1046994, "1022 KiB"},
		{12_345_678, "11.8 MiB"},
		{1 << 30, "1 GiB"},
		{3 << 29, "1.5 GiB"},
	} {
		if got := FormatSize(tc.in); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// What FormatSize writes, ParseSize reads back (to its precision).
	for _, v := range []int64{1 << 10, 64 << 20, 1 << 30, 3 << 29} {
		if back, err := ParseSize(FormatSize(v)); err != nil || back != v {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", v, back, err)
		}
	}
}

func ExampleFormatSize() {
	fmt.Println(FormatSize(64<<20), FormatSize(1536), FormatSize(3<<29))
	// Output: 64 MiB 1.5 KiB 1.5 GiB
}
