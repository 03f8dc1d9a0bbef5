package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// replayCommand runs the batch pipeline through a recorded run's exchanges.
func replayCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "run the pipeline through the exchanges recorded with --record, instead of the network",
		Description: "Give the node list and the extraction flags of the live run. Every request gets the\n" +
			"recorded answer of its node, attempt by attempt (statuses, headers, cut bodies, resets,\n" +
			"stalls), and the client runs with the recorded fetch options, so retries and dead\n" +
			"letters come out as they did. A folder of the old --capture (bodies only) is replayed\n" +
			"as before: one good body per node.",
		Flags: append(jobFlags(),
			&cli.StringFlag{Name: "captures", Usage: "recording `DIR` (of --record, or OUT/captures of --capture)", Required: true, EnvVars: env("captures")},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			rep, err := newReporter(c, io) // replay's own lines in --log-format too
			if err != nil {
				return err
			}
			log := rep.log
			dir := c.String("captures")
			f, err := record.Open(dir)
			if errors.Is(err, record.ErrLegacyFolder) {
				log.Info("replay: the folder holds bodies only (old --capture): no retries or failures to replay", "captures", dir)
				return runJob(c, io, job{source: "replay:" + dir, fetcher: scrape.NewReplayer(dir)})
			}
			if err != nil {
				return usageError(fmt.Errorf("--captures: %w", err))
			}
			reportSkipped(log, f)
			// Simulated time: it moves only while every fetch waits on
			// it, so the recorded waits take no real time.
			sim := clock.NewSim(f.Start())
			cl, tr, err := replayClient(f, sim)
			if err != nil {
				return usageError(fmt.Errorf("--captures %s: %w", dir, err))
			}
			defer cl.Close()
			err = runJob(c, io, job{source: "replay:" + dir, fetcher: cl})
			if d, n := sim.Advanced(); d > 0 {
				log.Info(fmt.Sprintf("replay: %v of recorded waiting passed in simulated time", d.Round(time.Millisecond)), "steps", n)
			}
			if u := tr.Unrecorded(); len(u) > 0 {
				log.Warn("replay: requests had no recorded exchange left (a node the recording lacks, or the run was stopped before it)",
					"requests", len(u), "example", u[0])
			}
			return err
		},
	}
}

// replayClient is a scrape client with the recorded options whose
// transport is the recording.
func replayClient(f *record.Folder, c clock.Clock) (*scrape.Client, *record.Transport, error) {
	o, err := recordedOptions(f.Index)
	if err != nil {
		return nil, nil, err
	}
	o.Clock = c
	// A replay's clock jumps over every recorded wait while other nodes
	// sit between exchanges, so a node's own elapsed time is not what it
	// was live: --max-node-time would end nodes that live had time for.
	// The recorded attempts end a replayed node instead.
	o.MaxNodeTime = 0
	tr, err := record.NewTransport(f, record.TransportOptions{})
	if err != nil {
		return nil, nil, err
	}
	o.WrapTransport = func(http.RoundTripper) http.RoundTripper { return tr }
	cl, err := scrape.New(o)
	if err != nil {
		return nil, nil, optionError(err)
	}
	return cl, tr, nil
}

// reportSkipped says what of a recording replay does not trust.
func reportSkipped(log *slog.Logger, f *record.Folder) {
	if f.Index.Incomplete != "" {
		log.Warn("replay: the recording run could not write every attempt; those are missing", "captures", f.Dir, "error", f.Index.Incomplete)
	}
	if len(f.Skipped) == 0 {
		return
	}
	log.Warn(fmt.Sprintf("replay: skipped %d files or attempts of the recording (not complete)", len(f.Skipped)), "captures", f.Dir)
	for i, s := range f.Skipped {
		if i == 10 {
			log.Warn("replay: more not complete", "count", len(f.Skipped)-i)
			break
		}
		log.Warn("replay: not complete", "what", fmt.Sprint(s))
	}
}
