package store

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ExportOptions selects the output of Export. The zero value writes CSV
// with one row per node.
type ExportOptions struct {
	Format   string // "csv" (default when empty), "ndjson" or "parquet"
	Bucketed bool   // CSV: one row per node and bucket; NDJSON: a buckets array per node (Parquet always has it)
	// Dense fills every bucket of the run's window, those without a value
	// included (count 0), so that a pivot has no holes. It needs the
	// window in the folder's parameters.
	Dense bool
	// Partial exports runs that have not committed every planned batch
	// (CheckComplete); without it such a folder is an error wrapping
	// ErrIncomplete, reported before anything is written. The caller
	// warns the user.
	Partial bool
}

// Export writes the nodes of the run folder dir to w; see ExportDirs.
func Export(w io.Writer, dir string, o ExportOptions) error {
	return ExportDirs(w, []string{dir}, o)
}

// ExportDirs writes the nodes of the run folders dirs (the shards or days
// of one job) to w, folder by folder in the order given, each in the
// order of ReadRecords followed by its dead letters.
//
// Every node is a row with status "ok" or "dead", the start of the
// folder's window (window_start) and its shard ("" for the whole list).
// CSV has the header node,status,window_start,shard,count,invalid,first,
// last,bytes (first and last in unix seconds; empty when the node has no
// valid value, or is dead). With Bucketed, CSV rows are node,status,
// window_start,shard,bucket,count, one per bucket in time order, and a
// dead node has one row with no bucket. NDJSON has one object per node
// with the same fields, the dead ones with error, http_status and
// attempts, and with Bucketed a "buckets" array of {bucket, count}.
// Parquet has typed columns: see parquetRow.
//
// The folders must be of one job: the same selectors, mode, bucket and
// unit, and the same URL but for the window. A format other than csv,
// ndjson or parquet is an error wrapping ErrUnknownFormat, reported before
// any folder is read. Read errors name the file and line.
func ExportDirs(w io.Writer, dirs []string, o ExportOptions) error {
	if err := exportDirs(w, dirs, o); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

func exportDirs(w io.Writer, dirs []string, o ExportOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var rows rowWriter
	switch o.Format {
	case "", "csv":
		rows = newCSVRows(bw, o.Bucketed)
	case "ndjson":
		rows = &ndjsonRows{w: bw, bucketed: o.Bucketed}
	case "parquet":
		rows = newParquetRows(bw)
	default:
		return fmt.Errorf("%w %q (want csv, ndjson or parquet)", ErrUnknownFormat, o.Format)
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no run folder")
	}
	folders := make([]*exportFolder, len(dirs))
	for i, dir := range dirs {
		f, err := openExportFolder(dir, o.Dense)
		if err != nil {
			return err
		}
		if i > 0 {
			if err := sameJob(folders[0], f); err != nil {
				return err
			}
		}
		for _, g := range folders[:i] {
			if sameDir(g.dir, f.dir) {
				return fmt.Errorf("run folder %s is given twice (as %s): its nodes would be rows twice", f.dir, g.dir)
			}
		}
		folders[i] = f
	}
	for _, f := range folders {
		if o.Partial {
			break
		}
		m, err := readManifest(f.dir)
		if err == nil {
			err = m.checkComplete(f.dir)
		}
		if err != nil {
			return err
		}
	}
	if err := rows.header(); err != nil {
		return err
	}
	// The rows copy the buckets they need (none without Bucketed, but
	// for Parquet, which always has them): one slice serves every record.
	ro := readOptions{reuseBuckets: true}
	needBuckets := o.Bucketed || o.Format == "parquet"
	for _, f := range folders {
		row := exportRow{folder: f}
		var spare []bucketCount
		err := readRecords(f.dir, ro, func(rec Record) error {
			row.Record, row.dead = rec, nil
			if needBuckets {
				row.buckets, spare = f.buckets(rec.Buckets, o.Dense, row.buckets[:0], spare)
			}
			return rows.row(&row)
		})
		if err != nil {
			return err
		}
		dead, err := ReadDeadLetters(f.dir)
		if err != nil {
			return err
		}
		for i := range dead {
			row.Record, row.dead, row.buckets = Record{Node: dead[i].Node}, &dead[i], row.buckets[:0]
			if err := rows.row(&row); err != nil {
				return err
			}
		}
	}
	if err := rows.flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// exportFolder is what the export needs of one run folder's manifest.
type exportFolder struct {
	dir         string
	params      Params
	start, end  time.Time     // the window; zero when its text does not parse
	width       time.Duration // of the buckets; 0: none
	windowStart string        // start as the export shows it

	window          []bucketCount // with Dense: every bucket of the window, count 0, in time order
	windowCanonical bool          // every key of window is canonical (knownKey)
	known           []knownKey    // parsed bucket keys by position; see parseKey
}

func openExportFolder(dir string, dense bool) (*exportFolder, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}

	f := &exportFolder{dir: dir, params: m.Params, windowStart: m.Params.Start}
	f.start, _ = parseWindowTime(m.Params.Start)
	f.end, _ = parseWindowTime(m.Params.End)
	if !f.start.IsZero() {
		f.windowStart = f.start.Format(time.RFC3339)
	}
	if b := m.Params.Bucket; b != "" {
		if f.width, err = time.ParseDuration(b); err != nil {
			return nil, fmt.Errorf("%s: bucket %q: %w", dir, b, err)
		}
	}
	if dense {
		switch {
		case f.width <= 0:
			return nil, fmt.Errorf("%s: --dense: the run has no buckets", dir)
		case f.start.IsZero() || !f.end.After(f.start):
			return nil, fmt.Errorf("%s: --dense: the run's window %q to %q is not a time range", dir, m.Params.Start, m.Params.End)
		case f.end.Sub(f.start)/f.width > 1_000_000:
			return nil, fmt.Errorf("%s: --dense: %v of %v buckets is over a million per node", dir, f.end.Sub(f.start), f.width)
		}
		f.windowCanonical = true
		for t := f.start.Truncate(f.width); t.Before(f.end); t = t.Add(f.width) {
			k := t.Format(time.RFC3339)
			canonical := len(k) == len(canonicalKey)
			f.window = append(f.window, bucketCount{k, t, 0, canonical})
			f.windowCanonical = f.windowCanonical && canonical
		}
	}
	return f, nil
}

// parseWindowTime reads the window bounds that commands store: RFC 3339,
// RIPEstat's YYYY-MM-DDTHH:MM:SS (UTC), or unix seconds.
func parseWindowTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// sameJob checks that b holds the same job as a, another window or shard
// of it.
func sameJob(a, b *exportFolder) error {
	url := func(f *exportFolder) string {
		u := f.params.URL
		for _, s := range []string{f.params.Start, f.params.End} {
			if s != "" {
				u = strings.ReplaceAll(u, s, "{window}")
			}
		}
		return u
	}
	p, q := a.params, b.params
	for _, d := range []struct{ name, x, y string }{
		{"url", url(a), url(b)},
		{"paths", strings.Join(p.Paths, " "), strings.Join(q.Paths, " ")},
		{"mode", p.Mode, q.Mode},
		{"bucket", p.Bucket, q.Bucket},
		{"unit", p.Unit, q.Unit},
	} {
		if d.x != d.y {
			return fmt.Errorf("%s and %s are not folders of one job: %s %q vs %q", a.dir, b.dir, d.name, d.x, d.y)
		}
	}
	return nil
}

// A bucketCount is one bucket of a row, in time order.
type bucketCount struct {
	key       string    // RFC 3339 UTC, as stored
	t         time.Time // key parsed; zero if beyond time.Parse (year > 9999)
	count     int64
	canonical bool // key is canonical (knownKey): no CSV quoting or JSON escaping
}

// knownKey is a bucket key parsed once: records of a folder list the same
// keys at the same positions, so f.known[i] is most often the key at
// position i of the next record too.
type knownKey struct {
	key       string
	t         time.Time
	canonical bool // key is t in RFC 3339 UTC: key order is time order
}

// canonicalKey is the shape of a canonical key.
const canonicalKey = "2006-01-02T15:04:05Z"

// maxKnown bounds the positions cached.
const maxKnown = 1 << 12

// parseKey returns the parse of the i-th bucket key k of a record.
func (f *exportFolder) parseKey(i int, k string) knownKey {
	if i < len(f.known) && f.known[i].key == k {
		return f.known[i]
	}
	t, _ := parseBucketKey(k)
	kk := knownKey{key: k, t: t, canonical: !t.IsZero() && len(k) == len(canonicalKey) && t.Format(time.RFC3339) == k}
	switch {
	case i < len(f.known):
		f.known[i] = kk
	case i == len(f.known) && i < maxKnown:
		f.known = append(f.known, kk)
	}
	return kk
}

// buckets returns bs's buckets in time order, appended to dst; dense fills
// the window's empty buckets with zeros. spare is scratch space that it
// may use and returns. bs is in key order (ReadRecords gives it so), which
// is time order when every key is canonical: then nothing is sorted.
func (f *exportFolder) buckets(bs Buckets, dense bool, dst, spare []bucketCount) ([]bucketCount, []bucketCount) {
	canonical := true
	for i, b := range bs {
		k := f.parseKey(i, b.Start)
		canonical = canonical && k.canonical
		dst = append(dst, bucketCount{b.Start, k.t, b.Count, k.canonical})
	}
	if canonical && (!dense || f.windowCanonical) {
		if dense { // merge two lists in time order
			out := spare[:0]
			j := 0
			for _, w := range f.window {
				for j < len(dst) && dst[j].key < w.key {
					out = append(out, dst[j])
					j++
				}
				if j < len(dst) && dst[j].key == w.key {
					continue
				}
				out = append(out, w)
			}
			out = append(out, dst[j:]...)
			return out, dst
		}
		return dst, spare
	}
	if dense {
		for _, w := range f.window {
			if _, ok := bs.Get(w.key); !ok {
				dst = append(dst, w)
			}
		}
	}
	slices.SortFunc(dst, func(a, b bucketCount) int {
		if !a.t.IsZero() && !b.t.IsZero() {
			return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.key, b.key))
		}
		return cmp.Or(cmp.Compare(len(a.key), len(b.key)), cmp.Compare(a.key, b.key))
	})
	return dst, spare
}

// parseBucketKey parses a bucket key, years past 9999 (milliseconds read
// as seconds) included, which time.Parse refuses.
func parseBucketKey(k string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, k); err == nil {
		return t, true
	}
	i := strings.IndexByte(k, '-')
	if i <= 4 {
		return time.Time{}, false
	}
	year, err := strconv.Atoi(k[:i])
	if err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, "2000"+k[i:])
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(year-2000, 0, 0), true
}

// exportRow is one node of the export: its record, or its dead letter.
type exportRow struct {
	Record
	dead    *DeadLetter // nil: ok
	buckets []bucketCount
	folder  *exportFolder
}

func (r *exportRow) status() string {
	if r.dead != nil {
		return "dead"
	}
	return "ok"
}

// rowWriter writes one export format.
type rowWriter interface {
	header() error
	row(*exportRow) error
	flush() error
}

// sameDir reports whether a and b name one folder.
func sameDir(a, b string) bool {
	x, err1 := os.Stat(a)
	y, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(x, y)
}
