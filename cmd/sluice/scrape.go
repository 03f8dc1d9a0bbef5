package main

import (
	"github.com/urfave/cli/v2"
)

// scrapeCommand is the general form: any URL template, any selectors.
func scrapeCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "scrape",
		Usage: "fetch a JSON body per node, count the selected timestamps, store counts per batch",
		Description: "The URL template holds {node} (escaped for its place) and {name} placeholders\n" +
			"filled with --var name=value. Secrets belong in --header or SLUICE_HEADER, never in logs.",
		Flags: append(append(jobFlags(), fetchFlags(0)...),
			&cli.StringFlag{Name: "url", Usage: "request `TEMPLATE`, e.g. 'https://api.example/v1/{node}?from={start}'", Required: true, EnvVars: env("url")},
			&cli.StringSliceFlag{Name: "var", Usage: "template variable `name=value` (repeatable)", EnvVars: env("var")},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			vars, err := parseVars(c.StringSlice("var"))
			if err != nil {
				return usageError(err)
			}
			tmpl := c.String("url")
			return runJob(c, io, job{tmpl: tmpl, vars: vars, start: vars["start"], end: vars["end"]})
		},
	}
}
