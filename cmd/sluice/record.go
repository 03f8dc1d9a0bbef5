package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/record"
)

// recordedFlags are the fetch flags a recording keeps in its index, so
// that sluice replay runs the client as the live run did.
var recordedFlags = []string{"rate", "burst", "max-attempts", "max-node-time", "min-backoff", "max-backoff",
	"request-timeout", "stall-timeout", "speed-limit", "speed-time", "max-body-size", "concurrency", "adaptive"}

// recordFlag is --record, and --capture its old spelling.
func recordFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "record", Usage: "record every exchange (all attempts, failures included) in `DIR`, for sluice replay and serve-captures", EnvVars: env("record")},
		&cli.BoolFlag{Name: "capture", Usage: "same as --record OUT/captures", EnvVars: env("capture")},
	}
}

// startRecorder sets bj's client up to record into --record (or
// OUT/captures for --capture). It returns the recording's first write
// error so far (nil: none, or no recording), for the run's exit status,
// and the function that closes the recording and returns its error: a
// recording that lost attempts is lost data, exit 4, reported once the
// run's own output is committed.
func startRecorder(c *cli.Context, bj *batch.Job) (recErr func() error, closeRec func() error, err error) {
	nop := func() error { return nil }
	if !c.IsSet("record") && !c.IsSet("capture") {
		return nop, nop, nil
	}
	dir := c.String("record")
	if c.Bool("capture") {
		capt := filepath.Join(bj.Out, "captures")
		if dir != "" && filepath.Clean(dir) != capt {
			return nil, nil, usageError(fmt.Errorf("--capture records into %s; give --record DIR or --capture, not both", capt))
		}
		dir = capt
	}
	if dir == "" || bj.Fetcher != nil {
		return nop, nop, nil
	}
	o := &bj.Scrape
	params := map[string]string{"command": c.Command.Name}
	for _, name := range recordedFlags {
		if name == "max-body-size" || name == "speed-limit" { // a size flag: bytes
			params[name] = strconv.FormatInt(sizeOf(c, name), 10)
			continue
		}
		params[name] = fmt.Sprint(c.Value(name))
	}
	var secrets []string
	for _, vs := range o.Header {
		secrets = append(secrets, vs...)
	}
	for k, v := range o.Vars {
		if o.Secrets.Name(k) {
			secrets = append(secrets, v)
		}
	}
	rec, err := record.Create(dir, record.Options{
		Template: o.URL, Vars: o.Vars, Params: params, Names: o.Secrets, Secrets: secrets,
		Stopping: func() bool { return c.Context.Err() != nil },
	})
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("--record %s: %w", dir, err))
	}
	o.WrapTransport = rec.Wrap
	var once sync.Once
	var closeErr error
	return rec.Err, func() error {
		once.Do(func() { closeErr = rec.Close() })
		return closeErr
	}, nil
}

// recordError adds a recording's write error to the run's error: exit
// 4 (data the user asked for was lost), unless the run has a status of
// its own that says more (usage, interruption, its own I/O error).
func recordError(runErr, recErr error) error {
	if recErr == nil {
		return runErr
	}
	recErr = fmt.Errorf("the recording is incomplete (the run's output is committed): %w", recErr)
	switch exitStatus(runErr) {
	case exitOK:
		return retryable(recErr)
	case exitFailed:
		return retryable(fmt.Errorf("%w; and %w", runErr, recErr))
	}
	return fmt.Errorf("%w; and %v", runErr, recErr)
}

// recordedOptions rebuilds the client options of a recorded run.
func recordedOptions(ix record.Index) (scrape.Options, error) {
	o := scrape.Options{URL: ix.Template, Vars: ix.Vars}
	p := ix.Params
	var err error
	num := func(name string, set func(float64)) {
		if s, ok := p[name]; ok && err == nil {
			v, perr := strconv.ParseFloat(s, 64)
			if perr != nil {
				err = fmt.Errorf("index parameter %s=%q: %w", name, s, perr)
			}
			set(v)
		}
	}
	dur := func(name string, set func(time.Duration)) {
		if s, ok := p[name]; ok && err == nil {
			v, perr := time.ParseDuration(s)
			if perr != nil {
				err = fmt.Errorf("index parameter %s=%q: %w", name, s, perr)
			}
			set(v)
		}
	}
	num("rate", func(v float64) { o.Rate = v })
	num("burst", func(v float64) { o.Burst = int(v) })
	num("max-attempts", func(v float64) { o.MaxAttempts = int(v) })
	num("max-body-size", func(v float64) { o.MaxBodySize = int64(v) })
	num("concurrency", func(v float64) { o.Concurrency = int(v) })
	num("speed-limit", func(v float64) { o.SpeedLimit = int64(v) })
	dur("speed-time", func(v time.Duration) { o.SpeedTime = v })
	dur("max-node-time", func(v time.Duration) { o.MaxNodeTime = v })
	dur("min-backoff", func(v time.Duration) { o.MinBackoff = v })
	dur("max-backoff", func(v time.Duration) { o.MaxBackoff = v })
	dur("request-timeout", func(v time.Duration) { o.RequestTimeout = v })
	dur("stall-timeout", func(v time.Duration) { o.StallTimeout = v })
	if _, ok := p["speed-limit"]; ok && (o.SpeedLimit == 0 || o.SpeedTime == 0) {
		o.SpeedLimit, o.SpeedTime = -1, 0 // as scrapeOptions: either at 0 is off
	}
	if p["adaptive"] == "true" {
		o.Concurrency *= 4 // as httpFetcher
	}
	o.MinBackoff = min(o.MinBackoff, o.MaxBackoff)
	return o, err
}
