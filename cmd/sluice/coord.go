package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/batch/coord"
	"github.com/sluicehq/sluice/scrape/budget"
	"github.com/sluicehq/sluice/store"
)

// exitCoordLost: Redis did not answer for --coord-timeout. Nothing
// committed is lost; run the same command again to continue. It is
// exitRetry: a rerun gets past it.
const exitCoordLost = exitRetry

// coordFlags are the flags that share one run between processes.
func coordFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "coord", Usage: "share the run with every process started with the same job through Redis at `URL` (redis://HOST:PORT/DB or unix:///PATH?db=N)", EnvVars: env("coord")},
		&cli.StringFlag{Name: "run", Usage: "with --coord: the run's `NAME` (default: derived from the job's parameters)", EnvVars: env("run")},
		&cli.StringFlag{Name: "budget", Usage: "with --coord: the shared rate budget's `NAME` (default: the API's host)", EnvVars: env("budget")},
		&cli.DurationFlag{Name: "coord-timeout", Value: budget.DefaultCoordTimeout, Usage: "with --coord: give up (exit 4) when Redis has not answered for this long", EnvVars: env("coord-timeout")},
		&cli.DurationFlag{Name: "lease-timeout", Value: coord.DefaultLeaseTimeout, Usage: "with --coord: a batch whose worker is silent this long is taken over", EnvVars: env("lease-timeout")},
		&cli.IntFlag{Name: "global-concurrency", Usage: "with --coord: requests in flight across every process of the budget (0: no cap; RIPEstat allows 8 per IP)", EnvVars: env("global-concurrency")},
		&cli.IntFlag{Name: "max-deliveries", Value: coord.DefaultMaxDeliveries, Usage: "with --coord: a batch handed out more often is quarantined (its nodes dead-lettered)", EnvVars: env("max-deliveries")},
	}
}

// go-redis logs its pool's dial failures with the standard log package on
// stderr, a plain line in the middle of the --log-format stream; what they
// say reaches the user as coord's own records and errors (a retry, then
// exit 4 after --coord-timeout). Set before any client exists.
func init() { redis.SetLogger(quietRedis{}) }

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// openCoord connects to the --coord URL.
func openCoord(url string) (*redis.Client, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, usageError(fmt.Errorf("--coord %q: %w", url, err))
	}
	o.DialerRetries = 2 // coord retries with its own back-off and deadline
	return redis.NewClient(o), nil
}

// runCoordJob runs this process's share of a run shared through --coord.
// Its summary record, --summary-json and --metrics-file carry this
// process's figures: the nodes it fetched, the requests it sent.
// closeRec ends the recording (--record); its error counts in the status.
func runCoordJob(c *cli.Context, bj *batch.Job, rep *reporter, closeRec func() error) error {
	if bj.RetryDead {
		return usageError(errors.New("--retry-dead with --coord: retry the dead letters of the finalized folder without --coord"))
	}
	if n := c.Int("global-concurrency"); n < 0 {
		return usageError(fmt.Errorf("--global-concurrency %d: want 0 (no cap) or more", n))
	}
	rdb, err := openCoord(c.String("coord"))
	if err != nil {
		return err
	}
	defer rdb.Close()
	if rep.metrics != "" {
		// Several processes of one run on one machine each write their
		// own file; node_exporter refuses the same series twice, so
		// each file's series carry its name.
		rep.labels = map[string]string{"worker": strings.TrimSuffix(filepath.Base(rep.metrics), ".prom")}
	}
	res, err := coord.RunJob(c.Context, rdb, *bj, coord.WorkerOptions{
		Run: c.String("run"), Budget: c.String("budget"), CoordTimeout: c.Duration("coord-timeout"),
		GlobalConcurrency: c.Int("global-concurrency"),
		Queue:             coord.Options{LeaseTimeout: c.Duration("lease-timeout"), MaxDeliveries: c.Int("max-deliveries")},
		Logger:            bj.Options.Logger,
	})
	err = recordError(coordOutcome(bj, res, err), closeRec())
	if res.Summary.Start.IsZero() { // no round started
		return err
	}
	if ferr := rep.finish(res.Summary, exitStatus(err), bj.Out); err == nil {
		err = ferr
	}
	return err
}

// coordOutcome is the command's error for what coord.RunJob returned.
func coordOutcome(bj *batch.Job, res coord.Result, err error) error {
	switch {
	case errors.Is(err, coord.ErrCoordLost):
		return &exitError{exitCoordLost, fmt.Errorf("%w (run the same command again to continue)", err)}
	case errors.Is(err, store.ErrParamsMismatch):
		return usageError(fmt.Errorf("%w (use another --out, or the same parameters to resume)", err))
	case errors.Is(err, batch.ErrInvalidJob):
		return usageError(err)
	case err != nil:
		return err
	}
	log := bj.Options.Logger // the command's, in --log-format
	log.Info("batches committed by this process", "run", res.Run, "batches", res.Batches)
	if !res.Finalized {
		log.Info("run finished; another process finalized it", "run", res.Run, "out", bj.Out)
		return nil
	}
	dead, err := store.ReadDeadLetters(bj.Out)
	if err != nil {
		return err
	}
	log.Info("output", "out", bj.Out, "export", selfCommand()+" export "+bj.Out+" --format csv")
	if len(dead) > 0 {
		return failure(fmt.Errorf("%d nodes dead-lettered in %s; run again without --coord and with --retry-dead to retry them",
			len(dead), filepath.Join(bj.Out, "dead-letter.ndjson")))
	}
	return nil
}
