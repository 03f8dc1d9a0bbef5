package coord

import (
	"fmt"
	"strconv"
	"strings"
)

// group is the one consumer group of every run's stream.
const group = "workers"

// keys are the Redis keys of one run (see the package doc).
type keys struct {
	q, meta, enqlock, done, stats, poison, workers, final string
}

func keysOf(run string) keys {
	p := "sl:{" + run + "}:"
	return keys{q: p + "q", meta: p + "meta", enqlock: p + "enqlock", done: p + "done",
		stats: p + "stats", poison: p + "poison", workers: p + "workers", final: p + "final"}
}

// entryID is batch i's stream entry ID. IDs must be above 0-0 and grow,
// so batch i is "<i+1>-1".
func entryID(i int) string { return strconv.Itoa(i+1) + "-1" }

// batchOf parses an entry ID back to its batch index.
func batchOf(id string) (int, error) {
	ms, seq, ok := strings.Cut(id, "-")
	n, err := strconv.Atoi(ms)
	if !ok || err != nil || seq != "1" || n < 1 {
		return 0, fmt.Errorf("coord: stream entry %q is not a batch entry", id)
	}
	return n - 1, nil
}

// validRun refuses run names that would break the key layout.
func validRun(run string) error {
	if run == "" || strings.ContainsAny(run, "{}\n\r ") || len(run) > 200 {
		return fmt.Errorf("coord: run name %q: want 1-200 characters without braces, spaces or newlines", run)
	}
	return nil
}
