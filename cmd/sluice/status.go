package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch/coord"
)

// exitUnfinished: sluice status of a run that is not finished yet.
const exitUnfinished = 1

func statusCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show a run shared through --coord: batches, nodes, requests, the shared rate, workers, ETA",
		UsageText: "sluice status --coord URL [--run NAME] [--json]\n\nExit status 0 when the run is finished, 1 while it is not.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "coord", Usage: "Redis `URL` of the run (redis://HOST:PORT/DB)", Required: true, EnvVars: env("coord")},
			&cli.StringFlag{Name: "run", Usage: "the run's `NAME` (default: the only run in Redis)", EnvVars: env("run")},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object instead of text"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			rdb, err := openCoord(c.String("coord"))
			if err != nil {
				return err
			}
			defer rdb.Close()
			run := c.String("run")
			if run == "" {
				runs, err := coord.Runs(c.Context, rdb)
				switch {
				case err != nil:
					return &exitError{exitCoordLost, err}
				case len(runs) == 0:
					return failure(errors.New("no run in redis at --coord"))
				case len(runs) > 1:
					return usageError(fmt.Errorf("%d runs in redis (%s): choose one with --run", len(runs), strings.Join(runs, ", ")))
				}
				run = runs[0]
			}
			s, err := coord.ReadStatus(c.Context, rdb, run)
			if err != nil {
				return failure(err)
			}
			if c.Bool("json") {
				enc := json.NewEncoder(io.out)
				if err := enc.Encode(s); err != nil {
					return err
				}
			} else {
				fmt.Fprint(io.out, s.String())
			}
			if !s.Finished {
				return &exitError{exitUnfinished, errors.New("")}
			}
			return nil
		},
	}
}
