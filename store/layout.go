package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Names of the files in a run folder.
const (
	manifestName = "manifest.json"
	deadName     = "dead-letter.ndjson"
	nextSuffix   = ".next" // a file staged to replace one the manifest names
	deadNextName = deadName + nextSuffix
	lockName     = ".lock"
	tempPrefix   = ".tmp-" // temporary files; Open removes leftovers

	batchPrefix = "batch-"
	batchSuffix = ".ndjson.zst"
)

// batchName is the file name of batch n: batch-000042.ndjson.zst.
func batchName(n int) string { return fmt.Sprintf("%s%06d%s", batchPrefix, n, batchSuffix) }

// parseBatchName is the inverse of batchName; ok is false for any other name.
func parseBatchName(name string) (n int, ok bool) {
	s, found := strings.CutPrefix(name, batchPrefix)
	if !found {
		return 0, false
	}
	s, found = strings.CutSuffix(s, batchSuffix)
	if !found || len(s) < 6 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || batchName(n) != name {
		return 0, false
	}
	return n, true
}
