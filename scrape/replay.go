package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Replayer is a Fetcher over captured bodies: Fetch(node) reads
// dir/<CaptureName(node)>.json.zst, as a Client with CaptureDir wrote it.
// There are no retries (a capture does not change): a missing capture or
// an error of consume is a *FetchError at once. Create it with
// NewReplayer; it is safe for concurrent use.
type Replayer struct {
	dir   string
	clock clock.Clock // Result.Duration
	dec   decoders
}

// NewReplayer returns a Replayer over the captures in dir, timed on the
// system clock.
func NewReplayer(dir string) *Replayer {
	return NewReplayerClock(dir, nil)
}

// NewReplayerClock is NewReplayer timed on clk (nil: the system clock).
func NewReplayerClock(dir string, clk clock.Clock) *Replayer {
	return &Replayer{dir: dir, clock: clock.Or(clk)}
}

// Fetch passes node's captured body, decoded, to consume. Result.Status is
// 200, WireBytes the capture file's size.
func (r *Replayer) Fetch(ctx context.Context, node string, consume func(body io.Reader) error) (Result, error) {
	start := r.clock.Now()
	res := Result{Node: node, Attempts: 1}
	fail := func(err error) (Result, error) {
		res.Duration = r.clock.Now().Sub(start)
		return res, &FetchError{Node: node, Attempts: 1, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("scrape: node %q: %w", node, err)
	}
	path := capturePath(r.dir, node)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("%w: %s", ErrNoCapture, path))
	}
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	file := &ContextReader{Ctx: ctx, R: f}
	dec, release, err := r.dec.open(file, []string{"zstd"})
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	defer release()
	body := &bodyReader{r: dec, max: -1}
	cerr := consume(body)
	if cerr == nil && body.err == nil {
		_, _ = io.Copy(io.Discard, body)
	}
	res.WireBytes, res.BodyBytes = file.N, body.n
	if err := ctx.Err(); err != nil {
		res.Duration = r.clock.Now().Sub(start)
		return res, fmt.Errorf("scrape: node %q: %w", node, err)
	}
	if err := body.readErr(); err != nil {
		return fail(fmt.Errorf("%s: read after %d bytes: %w", path, file.N, err))
	}
	if cerr != nil {
		return fail(fmt.Errorf("%s: consume: %w", path, cerr))
	}
	res.Status = 200
	res.Duration = r.clock.Now().Sub(start)
	return res, nil
}

// ContextReader reads from R until Ctx is done, then fails with Ctx's
// error, so that a cancelled run stops a long read (a capture, stdin);
// N counts the bytes read.
type ContextReader struct {
	Ctx context.Context
	R   io.Reader
	N   int64
}

func (c *ContextReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
