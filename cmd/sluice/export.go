package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/store"
)

// exportCommand writes the aggregates of a run folder to stdout.
func exportCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the aggregates of a run folder to stdout as CSV or NDJSON",
		ArgsUsage: "DIR",
		Description: "CSV columns: node,count,invalid,first,last,bytes (first and last in unix seconds,\n" +
			"empty for a node without valid timestamps). With --bucketed: node,bucket,count, one row\n" +
			"per node and bucket. NDJSON: one object per node (or per node and bucket). Every batch\n" +
			"file is checked against the manifest's sha256 before it is read.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "csv", Usage: "`FORMAT` of the output: csv or ndjson", EnvVars: []string{"SLUICE_EXPORT_FORMAT"}},
			&cli.BoolFlag{Name: "bucketed", Usage: "one row per node and time bucket", EnvVars: []string{"SLUICE_EXPORT_BUCKETED"}},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			dir, o, err := exportArgs(c)
			if err != nil {
				return usageError(err)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return usageError(fmt.Errorf("export: %s: no such run folder", dir))
			}
			if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, fs.ErrNotExist) {
				return usageError(fmt.Errorf("export: %s: not a run folder (no manifest.json)", dir))
			}
			if err := store.Export(io.out, dir, o); err != nil {
				if errors.Is(err, store.ErrUnknownFormat) {
					return usageError(err)
				}
				return retryable(err) // damaged or unreadable: rerun the job, or fix the disk
			}
			return nil
		},
	}
}

// exportArgs returns the run folder and the options. urfave/cli stops
// reading flags at the first argument, so in `sluice export DIR --format
// ndjson` the flags after DIR are read here, as the usage line promises.
func exportArgs(c *cli.Context) (string, store.ExportOptions, error) {
	o := store.ExportOptions{Format: c.String("format"), Bucketed: c.Bool("bucketed")}
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Format, "format", o.Format, "")
	fs.BoolVar(&o.Bucketed, "bucketed", o.Bucketed, "")
	var dirs, rest []string
	args := c.Args().Slice()
	if i := slices.Index(args, "--"); i >= 0 { // after it, arguments only
		args, rest = args[:i], args[i+1:]
	}
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", o, fmt.Errorf("export: %w", &flagError{msg: doubleDash(err.Error()), err: err})
		}
		args = fs.Args()
		if len(args) > 0 {
			dirs = append(dirs, args[0])
			args = args[1:]
		}
	}
	dirs = append(dirs, rest...)
	if len(dirs) != 1 {
		return "", o, fmt.Errorf("export: want one run folder DIR, got %d arguments %q", len(dirs), dirs)
	}
	if o.Format != "csv" && o.Format != "ndjson" {
		return "", o, fmt.Errorf("export: --format %q: want csv or ndjson", o.Format)
	}
	return dirs[0], o, nil
}
