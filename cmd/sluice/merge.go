package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch/coord"
)

func mergeCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "combine the --shard k/n run folders of one job into the folder the job writes without --shard",
		UsageText: "sluice merge --nodes FILE OUT1 OUT2 … --into DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "nodes", Usage: "the job's node list, `FILE` or - (the folders keep only its hash)", Required: true, EnvVars: env("nodes")},
			&cli.StringFlag{Name: "column", Usage: "read the node list as CSV and take this column", EnvVars: env("column")},
			&cli.StringFlag{Name: "into", Usage: "the merged run folder `DIR`; created if missing", Required: true},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			srcs := c.Args().Slice()
			if len(srcs) == 0 {
				return usageError(errors.New("merge: name the shard folders to merge"))
			}
			log := io.logger()
			nodes, err := readNodes(c, io, log)
			if err != nil {
				return err
			}
			if err := coord.MergeShards(nodes, c.String("into"), srcs); err != nil {
				return usageError(err)
			}
			log.Info("merged", "folders", len(srcs), "into", c.String("into"), "export", selfCommand()+" export "+c.String("into")+" --format csv")
			return nil
		},
	}
}
