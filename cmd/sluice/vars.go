package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/scrape"
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

// expandForManifest writes the template with its variables filled in (but
// {node} kept), so that the manifest tells two runs with other variables
// apart. A secret-named variable ({apikey}, {token} …) stays a placeholder
// wherever it sits, since Redact only knows query parameters; the caller
// still redacts the result.
func expandForManifest(tmpl string, vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if scrape.SecretName(k) {
			continue
		}
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", vars[k])
	}
	return tmpl
}
