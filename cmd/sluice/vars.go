package main

import (
	"fmt"
	"strings"
)

// parseVars turns --var name=value flags into a map.
func parseVars(vals []string) (map[string]string, error) {
	vars := make(map[string]string, len(vals))
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want name=value", v)
		}
		vars[k] = val
	}
	return vars, nil
}
