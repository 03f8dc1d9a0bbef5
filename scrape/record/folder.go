package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Folder is a recording opened for reading: its index and, per node, the
// attempts that replay can trust, in order. Open it with Open. It is
// immutable and safe for concurrent use.
type Folder struct {
	Dir   string
	Index Index
	// Attempts holds each node's complete attempts, Seq 1, 2, … without
	// a gap.
	Attempts map[string][]*Attempt
	// Skipped lists what Open did not trust (files of a killed run,
	// attempts the run's own stop cut), in path order.
	Skipped []Skip

	dirs map[string]string // node → its folder, relative to Dir
}

// Skip is one file or attempt that Open left out, and why.
type Skip struct {
	Path   string // relative to the folder
	Reason string
}

func (s Skip) String() string { return s.Path + ": " + s.Reason }

// readIndex reads and checks dir's index.
func readIndex(dir string) (Index, error) {
	var ix Index
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		return ix, err
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return ix, fmt.Errorf("record: %s: %w", filepath.Join(dir, IndexFile), err)
	}
	switch {
	case ix.Version > Version:
		return ix, fmt.Errorf("%w: %s has version %d, this sluice reads up to %d; use a newer sluice",
			ErrNewerVersion, filepath.Join(dir, IndexFile), ix.Version, Version)
	case ix.Version < 1:
		return ix, fmt.Errorf("record: %s: version %d is not a recording version", filepath.Join(dir, IndexFile), ix.Version)
	}
	return ix, nil
}

// Open reads the recording in dir. It refuses a folder without an index
// (ErrLegacyFolder if it holds old --capture bodies) or of a newer
// version (ErrNewerVersion); a file it cannot trust is listed in Skipped,
// not an error.
func Open(dir string) (*Folder, error) {
	ix, err := readIndex(dir)
	if errors.Is(err, os.ErrNotExist) {
		if legacy(dir) {
			return nil, fmt.Errorf("%w: %s (sluice replay reads it the old way)", ErrLegacyFolder, dir)
		}
		return nil, fmt.Errorf("record: %s is not a recording: no %s", dir, IndexFile)
	}
	if err != nil {
		return nil, err
	}
	f := &Folder{Dir: dir, Index: ix, Attempts: make(map[string][]*Attempt), dirs: make(map[string]string)}
	root := filepath.Join(dir, NodesDir)
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			f.skip(filepath.Join(NodesDir, e.Name()), "not a node folder")
			continue
		}
		if err := f.readNode(filepath.Join(NodesDir, e.Name())); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Folder) skip(path, reason string) { f.Skipped = append(f.Skipped, Skip{path, reason}) }

// readNode reads one node folder's attempts.
func (f *Folder) readNode(rel string) error {
	ents, err := os.ReadDir(filepath.Join(f.Dir, rel))
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	var (
		metas  []*Attempt
		bodies = make(map[string]bool) // body files that a metadata record claims
	)
	for _, e := range ents {
		name := e.Name()
		path := filepath.Join(rel, name)
		switch {
		case strings.HasSuffix(name, tmpExt):
			f.skip(path, "temporary file (an attempt or index the run did not finish writing)")
		case strings.HasSuffix(name, bodyExt):
			bodies[name] = false
		case strings.HasSuffix(name, metaExt):
			a, err := readAttempt(filepath.Join(f.Dir, path))
			if err != nil {
				f.skip(path, err.Error())
				continue
			}
			if want := seqName(a.Seq) + metaExt; name != want {
				f.skip(path, fmt.Sprintf("attempt %d in a file named %s", a.Seq, name))
				continue
			}
			metas = append(metas, a)
		default:
			f.skip(path, "unknown file")
		}
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].Seq < metas[j].Seq })
	var good []*Attempt
	node := ""
	for _, a := range metas {
		path := filepath.Join(rel, seqName(a.Seq)+metaExt)
		switch {
		case node != "" && a.Node != node:
			f.skip(path, fmt.Sprintf("node %q in the folder of node %q", a.Node, node))
			continue
		case len(good) != a.Seq-1:
			f.skip(path, fmt.Sprintf("attempt %d follows a missing or skipped attempt %d", a.Seq, len(good)+1))
			continue
		case a.End == EndInterrupted:
			f.skip(path, "interrupted by the run's own stop")
			continue
		}
		if a.BodyFile != "" {
			if _, ok := bodies[a.BodyFile]; !ok || filepath.Base(a.BodyFile) != a.BodyFile {
				f.skip(path, fmt.Sprintf("body file %q missing", a.BodyFile))
				continue
			}
			st, err := os.Stat(filepath.Join(f.Dir, rel, a.BodyFile))
			if err != nil || st.Size() != a.BodyZstd {
				f.skip(path, fmt.Sprintf("body file %s is not the size recorded (%d bytes)", a.BodyFile, a.BodyZstd))
				continue
			}
			bodies[a.BodyFile] = true
		}
		node = a.Node
		good = append(good, a)
	}
	for name, claimed := range bodies {
		if !claimed && !claimedBySkipped(metas, name) {
			f.skip(filepath.Join(rel, name), "body without metadata (an attempt the run did not finish)")
		}
	}
	slices.SortFunc(f.Skipped, func(a, b Skip) int { return strings.Compare(a.Path, b.Path) })
	if node != "" {
		f.Attempts[node] = good
		f.dirs[node] = rel
	}
	return nil
}

func claimedBySkipped(metas []*Attempt, body string) bool {
	for _, a := range metas {
		if a.BodyFile == body {
			return true
		}
	}
	return false
}

// readAttempt reads and checks one metadata file.
func readAttempt(path string) (*Attempt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a Attempt
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if err := a.check(); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return &a, nil
}

// Nodes returns the recorded nodes, sorted.
func (f *Folder) Nodes() []string {
	ns := make([]string, 0, len(f.Attempts))
	for n := range f.Attempts {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Body opens a's body as it came off the wire (decompressed from disk,
// streamed). Close it.
func (f *Folder) Body(a *Attempt) (io.ReadCloser, error) {
	if a.BodyFile == "" {
		return io.NopCloser(strings.NewReader("")), nil
	}
	path := filepath.Join(f.Dir, f.dirs[a.Node], a.BodyFile)
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	dec, err := zstd.NewReader(file, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(8<<20))
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	return &bodyReader{dec: dec, f: file, path: path, want: a.BodyBytes}, nil
}

// bodyReader reads a recorded body and checks its length, so that a
// damaged file is an error and not a silently shorter body.
type bodyReader struct {
	dec  *zstd.Decoder
	f    *os.File
	path string
	n    int64
	want int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.dec.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF && b.n != b.want:
		return n, fmt.Errorf("record: %s: %d bytes, recorded %d", b.path, b.n, b.want)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("record: %s after %d bytes: %w", b.path, b.n, err)
	}
	return n, err
}

func (b *bodyReader) Close() error {
	b.dec.Close()
	return b.f.Close()
}

// Start returns the first recorded request's time (the zero time for an
// empty folder): a replay's clock.Sim starts there, so that absolute
// times in recorded headers (X-RateLimit-Reset, an HTTP-date
// Retry-After) line up with the replay.
func (f *Folder) Start() time.Time {
	var first time.Time
	for _, as := range f.Attempts {
		for _, a := range as {
			if first.IsZero() || a.Start.Before(first) {
				first = a.Start
			}
		}
	}
	return first
}
