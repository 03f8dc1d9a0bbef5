package report

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/bench/units"
)

// ParseSizes parses a comma-separated list of sizes.
func ParseSizes(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := units.ParseSize(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sizes %q: empty list", s)
	}
	return out, nil
}
