package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// childEnv makes this test binary act as a measurement child: init runs
// before the testing package parses flags, serves one request and exits.
const childEnv = "SLUICE_MEASURE_TEST_CHILD"

func init() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	if err := Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// testLauncher starts this test binary as the child. Under -race, a
// process sleeps a second at exit (so that late races get reported);
// children are short, so they skip that sleep.
func testLauncher() ExecLauncher {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return ExecLauncher{Path: exe, Env: append(os.Environ(), childEnv+"=1", noRaceExitSleep())}
}

// noRaceExitSleep is GORACE as inherited plus atexit_sleep_ms=0.
func noRaceExitSleep() string {
	return strings.TrimSpace("GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0")
}

// inProcess runs each request in this process through Serve, the child's
// own entry, instead of starting a child: under -race each child costs
// some 0.2 s of CPU to start, and RunExtract's plan, reps, progress and
// summaries need no process of their own. testLauncher's real children
// are kept for the cases that test the exec path (gzip and warm-up,
// scrape). There is no child's rusage: the peak RSS is the
// sample's VmHWM (this process's), or the runtime's Sys where there is
// no VmHWM.
type inProcess struct{}

func (inProcess) Launch(ctx context.Context, req Request) (Response, Usage, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return Response{}, Usage{}, err
	}
	var out bytes.Buffer
	if err := Serve(ctx, bytes.NewReader(in), &out); err != nil {
		return Response{}, Usage{}, fmt.Errorf("in-process child: %w", err)
	}
	var resp Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return Response{}, Usage{}, fmt.Errorf("in-process child: bad answer %.200q: %w", out.Bytes(), err)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return resp, Usage{MaxRSSBytes: int64(m.Sys)}, nil
}
