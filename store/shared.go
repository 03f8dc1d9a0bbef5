package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// A shared run folder is written by many processes at once, on one
// machine or many (the same --out on shared storage, with batch/coord
// handing out the batches). No process holds the folder: each batch is
// published on its own, once, and the folder becomes an ordinary run
// folder (manifest.json, batch files, dead-letter.ndjson) when every
// batch is published and one process finalizes it.
//
//	batches/000042/batch-000042.ndjson.zst  the batch's records, as in a run folder
//	batches/000042/dead-letter.ndjson       the batch's dead letters, as in a run folder
//	batches/000042/commit.json              who published it, both files' sha256, counts
//	batches/.tmp-000042-<token>/            a publish under way (or a killed one's)
//
// A batch is published by writing the three files into a temporary
// folder (each fsynced, then the folder), then renaming that folder to
// batches/NNNNNN. rename(2) onto an existing, non-empty folder fails, on
// local disks and on NFS alike (the server does the rename), so the first
// publish of a batch wins and a batch's files are never replaced: a slow
// worker that lost its lease, and the worker that took the batch over,
// cannot leave a mix of two attempts. The loser adopts the winner's
// files. flock(2) is not used: on NFS it is unreliable, and which process
// finalizes is decided by Redis (batch/coord), not by the folder.
//
// Finalize checks every batch against the plan (each node in exactly one
// of its batch's two files), links each batch file to the top of the
// folder (a hard link: no second copy; a copy where links are not
// supported), then writes dead-letter.ndjson and, last, manifest.json,
// each through a temporary file and a rename. Its output depends on the
// published batches alone, so two processes that finalize at once, or
// one that finishes what a killed one began, write the same bytes.
const (
	sharedDir   = "batches"
	commitName  = "commit.json"
	sharedTemp  = ".tmp-"
	sharedWidth = 6
)

// pairName is batch n's folder under batches/.
func pairName(n int) string { return fmt.Sprintf("%0*d", sharedWidth, n) }

// Published is what a batch's commit.json says.
type Published struct {
	Batch     int       `json:"batch"`
	Owner     string    `json:"owner"` // the process that published it, and a random token
	Nodes     int       `json:"nodes"` // records
	Dead      int       `json:"dead"`  // dead letters
	BatchSHA  string    `json:"batch_sha256"`
	DeadSHA   string    `json:"dead_sha256"`
	Completed time.Time `json:"completed"`
}

// SharedOptions configure OpenShared.
type SharedOptions struct {
	// Owner names this process in the commit.json of the batches it
	// publishes (a random token is added); "" means the PID.
	Owner  string
	Logger *slog.Logger     // nil: discarded
	Now    func() time.Time // completion and dead-letter times; nil: time.Now
	// Hook, for tests, is called between the steps of a publish and of
	// a finalize with the step's name; an error stops the step there, as
	// a killed process would (its files are left as they are).
	Hook func(step string) error
}

// Shared is one process's handle on a shared run folder. It implements
// what batch's runner needs of a store (Completed, CommitBatch, SetPlan);
// it is safe for concurrent use.
type Shared struct {
	dir    string
	params Params
	owner  string
	token  string // random, unique to this handle
	now    func() time.Time
	log    *slog.Logger
	enc    *zstd.Encoder
	hook   stepFunc // tests: called between the steps of a publish or a finalize

	mu  sync.Mutex
	pub map[int]Published // batches known published
}

// ErrSharedBatch marks a published batch that does not check out at
// Finalize (a file missing or damaged, a node missing or twice): it names
// the batch and the file.
var ErrSharedBatch = errors.New("store: published batch damaged")

// OpenShared opens dir as a shared run folder for p, creating it and its
// batches folder if needed. It takes no lock. A folder whose manifest
// holds another job is refused (ErrParamsMismatch), as Open refuses it.
func OpenShared(dir string, p Params, o SharedOptions) (*Shared, error) {
	s := &Shared{dir: dir, params: p, now: o.Now, log: o.Logger, hook: o.Hook, pub: map[int]Published{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var tok [4]byte
	_, _ = rand.Read(tok[:])
	s.owner = o.Owner
	if s.owner == "" {
		s.owner = strconv.Itoa(os.Getpid())
	}
	s.token = hex.EncodeToString(tok[:])
	s.owner += "/" + s.token
	if err := os.MkdirAll(filepath.Join(dir, sharedDir), 0o755); err != nil {
		return nil, fmt.Errorf("store: open shared %s: %w", dir, err)
	}
	if m, err := readManifest(dir); err == nil {
		if d := m.Params.diff(p); d != "" {
			return nil, fmt.Errorf("store: open shared %s: %w: %s", dir, ErrParamsMismatch, d)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: open shared %s: %w", dir, err)
	}
	enc, err := newEncoder()
	if err != nil {
		return nil, fmt.Errorf("store: open shared %s: %w", dir, err)
	}
	s.enc = enc
	return s, nil
}

// Dir is the folder.
func (s *Shared) Dir() string { return s.dir }

// Close releases the encoder. The folder needs no closing.
func (s *Shared) Close() error {
	s.enc.Close()
	return nil
}

// SetPlan is part of batch.Store; the plan reaches the manifest through
// Finalize.
func (s *Shared) SetPlan(nodes, batches int) error { return nil }

// Completed reports whether batch is published (by any process).
func (s *Shared) Completed(batch int) bool {
	_, ok, err := s.Published(batch)
	if err != nil {
		s.log.Warn("store: shared batch unreadable; it is redone", "batch", batch, "err", err)
	}
	return ok
}

// Published returns batch's commit.json, and whether the batch is
// published. It reads the file once per batch; the answer does not
// change afterwards (a batch is published once).
func (s *Shared) Published(batch int) (Published, bool, error) {
	s.mu.Lock()
	p, ok := s.pub[batch]
	s.mu.Unlock()
	if ok {
		return p, true, nil
	}
	p, err := readPublished(filepath.Join(s.dir, sharedDir, pairName(batch)), batch)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Published{}, false, nil
	case err != nil:
		return Published{}, false, err
	}
	s.mu.Lock()
	s.pub[batch] = p
	s.mu.Unlock()
	return p, true, nil
}

func readPublished(pair string, batch int) (Published, error) {
	var p Published
	data, err := os.ReadFile(filepath.Join(pair, commitName))
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("%s: %w", filepath.Join(pair, commitName), err)
	}
	if p.Batch != batch || len(p.BatchSHA) != 64 || len(p.DeadSHA) != 64 || p.Nodes < 0 || p.Dead < 0 {
		return p, fmt.Errorf("%s: not the commit of batch %d", filepath.Join(pair, commitName), batch)
	}
	return p, nil
}

// CommitBatch publishes batch's outcome: recs to its batch file, dead to
// its dead-letter file, both at once. When another process published the
// batch first, its files stay and this outcome is dropped (a node's
// outcome is the first one published); Published then tells what the
// batch holds. Dead letters get Batch set to batch, and a zero Time set
// to now.
func (s *Shared) CommitBatch(batch int, recs []Record, dead []DeadLetter) error {
	if err := s.commit(batch, recs, dead); err != nil {
		return fmt.Errorf("store: publish batch %d in %s: %w", batch, s.dir, err)
	}
	return nil
}

// CommitRetry is part of batch.Store: retrying dead letters is done on
// the finalized folder, by one process (Open).
func (s *Shared) CommitRetry([]Record, []DeadLetter) error {
	return errors.New("store: a shared folder takes planned batches only; retry dead letters on the finalized folder")
}

func (s *Shared) commit(batch int, recs []Record, dead []DeadLetter) error {
	if batch < 0 {
		return errors.New("negative batch number")
	}
	if err := checkNodes(recs, dead); err != nil {
		return err
	}
	if _, ok, _ := s.Published(batch); ok {
		return s.adopt(batch, "already published")
	}
	now := s.now().UTC()
	dm := make(map[string]DeadLetter, len(dead))
	t := txn{dead: dm}
	for _, d := range dead {
		t.putDead(d, batch, now)
	}
	bdata, err := encodeBatch(s.enc, recs)
	if err != nil {
		return err
	}
	ddata, err := encodeDead(dm)
	if err != nil {
		return err
	}
	p := Published{Batch: batch, Owner: s.owner, Nodes: len(recs), Dead: len(dead),
		BatchSHA: sha256Hex(bdata), DeadSHA: sha256Hex(ddata), Completed: now}
	cdata, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	root := filepath.Join(s.dir, sharedDir)
	tmp, err := os.MkdirTemp(root, sharedTemp+pairName(batch)+"-")
	if err != nil {
		return err
	}
	err = s.stage(tmp, batch, bdata, ddata, cdata)
	if err == nil {
		err = s.hook.at("publish: staged")
	}
	if err != nil {
		if errors.Is(err, errCrash) {
			return err // a killed process leaves its temporary folder
		}
		os.RemoveAll(tmp)
		// Finalize removes the temporary folders of a finished run; a slow
		// publisher's then fails, and its batch is another's.
		if _, ok, _ := s.Published(batch); ok {
			return s.adopt(batch, "published by another process while this one wrote it")
		}
		return err
	}
	final := filepath.Join(root, pairName(batch))
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		got, rerr := readPublished(final, batch)
		switch {
		case rerr != nil:
			return fmt.Errorf("publish: %w", err)
		case got.Owner == s.owner: // a retried rename (NFS) that had succeeded
		default:
			return s.adopt(batch, "published by another process first")
		}
	}
	if err := s.hook.at("publish: renamed"); err != nil {
		return err
	}
	if err := syncDir(root); err != nil {
		return err
	}
	s.mu.Lock()
	s.pub[batch] = p
	s.mu.Unlock()
	s.log.Info("store: batch published", "batch", batch, "sha256", p.BatchSHA, "nodes", p.Nodes, "dead", p.Dead)
	return nil
}

// stage writes a batch's three files into the temporary folder tmp.
func (s *Shared) stage(tmp string, batch int, bdata, ddata, cdata []byte) error {
	for _, f := range []namedData{{batchName(batch), bdata}, {deadName, ddata}, {commitName, cdata}} {
		if err := writeFile(tmp, f.name, f.data, s.hook); err != nil {
			return err
		}
	}
	return syncDir(tmp)
}

// adopt records that batch was published by another process.
func (s *Shared) adopt(batch int, why string) error {
	p, ok, err := s.Published(batch)
	if err != nil || !ok {
		return fmt.Errorf("read the batch another process published: %w", cmpErr(err, fs.ErrNotExist))
	}
	s.log.Info("store: batch "+why+"; keeping that one", "batch", batch, "sha256", p.BatchSHA, "owner", p.Owner)
	return nil
}

func cmpErr(err, or error) error {
	if err != nil {
		return err
	}
	return or
}

// Finalize makes the shared folder an ordinary run folder of the plan
// whose batches hold batchNodes(0) … batchNodes(batches-1): it checks
// every published batch against its nodes, links its file to the top of
// the folder, and writes dead-letter.ndjson and manifest.json. It may run
// in several processes at once, or again after a killed one: the result
// is the same. A batch not yet published, or that does not check out, is
// an error naming it (wrapping ErrSharedBatch for a damaged one).
func (s *Shared) Finalize(batches int, batchNodes func(int) []string) error {
	if err := s.finalize(batches, batchNodes); err != nil {
		return fmt.Errorf("store: finalize %s: %w", s.dir, err)
	}
	return nil
}

func (s *Shared) finalize(batches int, batchNodes func(int) []string) error {
	root := filepath.Join(s.dir, sharedDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries { // every batch is published: what is under way is garbage
		if strings.HasPrefix(e.Name(), sharedTemp) {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return fmt.Errorf("remove a publish left over: %w", err)
			}
		}
	}
	m := newManifest(s.params, time.Time{})
	m.Plan = &planEntry{Batches: batches}
	dead := map[string]DeadLetter{}
	var updated time.Time
	for b := range batches {
		nodes := batchNodes(b)
		m.Plan.Nodes += len(nodes)
		pair := filepath.Join(root, pairName(b))
		p, err := readPublished(pair, b)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("batch %d is not published (%s)", b, pair)
		} else if err != nil {
			return fmt.Errorf("%w: %w", ErrSharedBatch, err)
		}
		recs, dl, bdata, err := readPair(pair, p)
		if err != nil {
			return fmt.Errorf("%w: batch %d: %w", ErrSharedBatch, b, err)
		}
		if err := coversOnce(nodes, recs, dl); err != nil {
			return fmt.Errorf("%w: batch %d (%s): %w", ErrSharedBatch, b, pair, err)
		}
		for _, d := range dl {
			dead[d.Node] = d
		}
		if err := s.place(pair, b, p.BatchSHA); err != nil {
			return err
		}
		m.put(newBatchEntry(b, recs, bdata, false, p.Completed))
		updated = later(updated, p.Completed)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if err := s.hook.at("finalize: batch files placed"); err != nil {
		return err
	}
	ddata, err := encodeDead(dead)
	if err != nil {
		return err
	}
	m.DeadLetters = deadEntry{File: deadName, Nodes: len(dead), SHA256: sha256Hex(ddata), Batches: deadBatches(dead)}
	m.sum(len(dead), updated)
	if old, err := readManifest(s.dir); err == nil { // a finalize again: keep the runs it recorded
		m.Runs = old.Runs
	}
	mdata, err := m.encode()
	if err != nil {
		return err
	}
	if err := writeFile(s.dir, deadName, ddata, s.hook); err != nil {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if err := s.hook.at("finalize: dead letters written"); err != nil {
		return err
	}
	if err := writeFile(s.dir, manifestName, mdata, s.hook); err != nil {
		return err
	}
	return syncDir(s.dir)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// readPair reads and checks a published batch's two files.
func readPair(pair string, p Published) ([]Record, []DeadLetter, []byte, error) {
	bpath := filepath.Join(pair, batchName(p.Batch))
	bdata, err := os.ReadFile(bpath)
	if err != nil {
		return nil, nil, nil, err
	}
	if sum := sha256Hex(bdata); sum != p.BatchSHA {
		return nil, nil, nil, fmt.Errorf("%s: sha256 %s, %s says %s", bpath, sum, commitName, p.BatchSHA)
	}
	recs, err := decodeBatchBytes(bdata, bpath)
	if err != nil {
		return nil, nil, nil, err
	}
	dpath := filepath.Join(pair, deadName)
	ddata, err := os.ReadFile(dpath)
	if err != nil {
		return nil, nil, nil, err
	}
	if sum := sha256Hex(ddata); sum != p.DeadSHA {
		return nil, nil, nil, fmt.Errorf("%s: sha256 %s, %s says %s", dpath, sum, commitName, p.DeadSHA)
	}
	dm, err := decodeDead(strings.NewReader(string(ddata)), dpath)
	if err != nil {
		return nil, nil, nil, err
	}
	dl := sortedDead(dm)
	for _, d := range dl {
		if d.Batch != p.Batch {
			return nil, nil, nil, fmt.Errorf("%s: node %s is a dead letter of batch %d", dpath, d.Node, d.Batch)
		}
	}
	if len(recs) != p.Nodes || len(dl) != p.Dead {
		return nil, nil, nil, fmt.Errorf("%d records and %d dead letters, %s says %d and %d", len(recs), len(dl), commitName, p.Nodes, p.Dead)
	}
	return recs, dl, bdata, nil
}

// coversOnce checks that recs and dead hold each of nodes exactly once
// between them, and nothing else.
func coversOnce(nodes []string, recs []Record, dead []DeadLetter) error {
	want := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		want[n] = true
	}
	seen := make(map[string]bool, len(nodes))
	check := func(n string) error {
		switch {
		case !want[n]:
			return fmt.Errorf("node %s is not of this batch", n)
		case seen[n]:
			return fmt.Errorf("node %s is in the batch twice", n)
		}
		seen[n] = true
		return nil
	}
	for i := range recs {
		if err := check(recs[i].Node); err != nil {
			return err
		}
	}
	for i := range dead {
		if err := check(dead[i].Node); err != nil {
			return err
		}
	}
	if len(seen) != len(want) {
		for _, n := range nodes {
			if !seen[n] {
				return fmt.Errorf("node %s is in neither file (%d of %d missing)", n, len(want)-len(seen), len(want))
			}
		}
	}
	return nil
}

// place puts batch b's file at the top of the folder: a hard link to the
// published one, or, where the file system has none, a copy through a
// temporary file. A file already there with the same sha256 is kept (a
// finalize again); one with another is replaced.
func (s *Shared) place(pair string, b int, sum string) error {
	name := batchName(b)
	dst := filepath.Join(s.dir, name)
	if got, err := fileSHA256(dst); err == nil && got == sum {
		return nil
	}
	src := filepath.Join(pair, name)
	tmp := filepath.Join(s.dir, tempPrefix+name+"-"+s.token)
	os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		data, rerr := os.ReadFile(src)
		if rerr != nil {
			return rerr
		}
		return writeFile(s.dir, name, data, s.hook)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("place %s: %w", name, err)
	}
	return nil
}
