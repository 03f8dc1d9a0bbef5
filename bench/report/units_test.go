package report

import (
	"fmt"
	"testing"
)

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
