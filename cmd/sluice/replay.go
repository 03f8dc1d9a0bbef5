package main

import (
	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/scrape"
)

// replayCommand runs the batch pipeline over captured bodies.
func replayCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "run the pipeline over bodies captured with --capture instead of HTTP",
		Description: "Give the node list and the extraction flags of the live run; its batch files\n" +
			"come out equal to those of the live run that captured the bodies.",
		Flags: append(jobFlags(),
			&cli.StringFlag{Name: "captures", Usage: "captures `DIR` (OUT/captures of a run made with --capture)", Required: true, EnvVars: env("captures")},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			dir := c.String("captures")
			return runJob(c, io, job{source: "replay:" + dir, fetcher: scrape.NewReplayer(dir)})
		},
	}
}
