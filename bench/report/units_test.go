package report

import (
	"fmt"
	"testing"
)

func TestParseSize(t *testing.T) {
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

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("1MiB, 64MiB,,1GiB")
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]int64{1 << 20, 64 << 20, 1 << 30}) {
		t.Errorf("ParseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "1MiB,x"} {
		if _, err := ParseSizes(bad); err == nil {
			t.Errorf("ParseSizes(%q): want an error", bad)
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
