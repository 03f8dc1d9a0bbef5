package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// Request is what a parent sends to a child: exactly one measurement.
type Request struct {
	Extract *Spec       `json:"extract,omitempty"`
	Scrape  *ScrapeSpec `json:"scrape,omitempty"`
}

// Response is a child's answer to a Request.
type Response struct {
	Extract *Sample       `json:"extract,omitempty"`
	Scrape  *ScrapeSample `json:"scrape,omitempty"`
}

// Serve is the child's side: it reads one Request from r, runs it and
// writes the Response to w as one line of JSON.
func Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	var req Request
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("measure: read request: %w", err)
	}
	var resp Response
	switch {
	case req.Extract != nil && req.Scrape == nil:
		s, err := RunChild(ctx, *req.Extract)
		if err != nil {
			return err
		}
		resp.Extract = &s
	case req.Scrape != nil && req.Extract == nil:
		s, err := RunScrapeChild(ctx, *req.Scrape)
		if err != nil {
			return err
		}
		resp.Scrape = &s
	default:
		return errors.New("measure: a request holds exactly one of extract and scrape")
	}
	return json.NewEncoder(w).Encode(resp)
}

// Usage is what the parent learns about a finished child from the system.
type Usage struct {
	// MaxRSSBytes is rusage Maxrss. On Linux it includes the parent's own
	// peak at the time of the fork (see the package doc), so the child's
	// VmHWM is preferred where there is one.
	MaxRSSBytes int64 `json:"maxrss_bytes"`
	UserNanos   int64 `json:"user_ns"`
	SysNanos    int64 `json:"sys_ns"`
}

// A Launcher runs one Request in a child process and returns its Response
// and usage. Implementations must be safe to call from one goroutine at a
// time; the harness never runs two children at once, so that they do not
// compete for the CPU.
type Launcher interface {
	Launch(ctx context.Context, req Request) (Response, Usage, error)
}

// ExecLauncher starts Path with Args for each request, writes the request
// to its stdin and reads the response from the last line of its stdout.
// The zero value is not usable: Path is required.
type ExecLauncher struct {
	Path string
	Args []string
	// Env is the child's environment; nil means this process's.
	Env []string
}

// maxStderr caps how much of a child's stderr is kept for an error.
const maxStderr = 4 << 10

// Launch implements Launcher.
func (l ExecLauncher) Launch(ctx context.Context, req Request) (Response, Usage, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return Response{}, Usage{}, err
	}
	cmd := exec.CommandContext(ctx, l.Path, l.Args...)
	cmd.Env = l.Env
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	errs := &tailBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = &out, errs
	cmd.WaitDelay = 5 * time.Second // a child that ignores the kill must not hang us
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return Response{}, Usage{}, ctx.Err()
	}
	if runErr != nil {
		msg := bytes.TrimSpace(errs.buf)
		return Response{}, Usage{}, fmt.Errorf("child process: %w: %s", runErr, msg)
	}
	u := usageOf(cmd.ProcessState)
	var resp Response
	if err := json.Unmarshal(lastLine(out.Bytes()), &resp); err != nil {
		return Response{}, Usage{}, fmt.Errorf("child process: bad answer %.200q: %w", out.Bytes(), err)
	}
	return resp, u, nil
}

// lastLine returns the last non-empty line of b: a test binary acting as
// the child may print its own lines before the answer.
func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\r\n\t ")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return b
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}
