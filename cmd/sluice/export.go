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

// exportCommand writes the nodes of one job's run folders to stdout.
func exportCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the nodes of run folders (the shards or days of one job) to stdout as CSV, NDJSON or Parquet",
		ArgsUsage: "DIR [DIR…]",
		Description: "Every node is a row, dead-lettered ones too (status ok or dead), with the start of its folder's\n" +
			"window and its shard. CSV columns: node,status,window_start,shard,count,invalid,first,last,bytes\n" +
			"(first and last in unix seconds, empty for a node without valid timestamps or a dead one).\n" +
			"With --bucketed: node,status,window_start,shard,bucket,count, one row per node and bucket;\n" +
			"--dense adds the buckets of the window without a value, with count 0. NDJSON: one object\n" +
			"per node, a dead one with its error; with --bucketed a buckets array of {bucket, count}.\n" +
			"Parquet: typed columns (UTC timestamps, int64 counts, buckets as a list of structs).\n" +
			"Every batch file is checked against the manifest's sha256 before it is read.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "csv", Usage: "`FORMAT` of the output: csv, ndjson or parquet", EnvVars: []string{"SLUICE_EXPORT_FORMAT"}},
			&cli.BoolFlag{Name: "bucketed", Usage: "per-bucket counts: one CSV row per node and bucket, an NDJSON buckets array", EnvVars: []string{"SLUICE_EXPORT_BUCKETED"}},
			&cli.BoolFlag{Name: "partial", Usage: "export a run that has not committed every planned batch (warns on stderr)"},
			&cli.BoolFlag{Name: "dense", Usage: "every bucket of the window, count 0 where nothing happened (implies --bucketed)", EnvVars: []string{"SLUICE_EXPORT_DENSE"}},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			dirs, o, err := exportArgs(c)
			if err != nil {
				return usageError(err)
			}
			for i, dir := range dirs {
				fi, err := os.Stat(dir)
				if err != nil || !fi.IsDir() {
					return usageError(fmt.Errorf("export: %s: no such run folder", dir))
				}
				if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, fs.ErrNotExist) {
					return usageError(fmt.Errorf("export: %s: not a run folder (no manifest.json)", dir))
				}
				for _, other := range dirs[:i] {
					if oi, err := os.Stat(other); err == nil && os.SameFile(fi, oi) {
						return usageError(fmt.Errorf("export: run folder %s is given twice (as %s)", dir, other))
					}
				}
			}
			if o.Partial {
				log := io.logger()
				for _, dir := range dirs {
					if err := store.CheckComplete(dir); errors.Is(err, store.ErrIncomplete) {
						log.Warn("exporting a partial run (--partial)", "dir", dir, "err", err.Error())
					}
				}
			}
			if err := store.ExportDirs(io.out, dirs, o); err != nil {
				if errors.Is(err, store.ErrUnknownFormat) {
					return usageError(err)
				}
				if errors.Is(err, store.ErrIncomplete) {
					// Running the same scrape again finishes the run.
					return retryable(fmt.Errorf("%w (or pass --partial to export what is there)", err))
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
func exportArgs(c *cli.Context) ([]string, store.ExportOptions, error) {
	o := store.ExportOptions{Format: c.String("format"), Bucketed: c.Bool("bucketed"), Dense: c.Bool("dense"), Partial: c.Bool("partial")}
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Format, "format", o.Format, "")
	fs.BoolVar(&o.Bucketed, "bucketed", o.Bucketed, "")
	fs.BoolVar(&o.Dense, "dense", o.Dense, "")
	fs.BoolVar(&o.Partial, "partial", o.Partial, "")
	var dirs, rest []string
	args := c.Args().Slice()
	if i := slices.Index(args, "--"); i >= 0 { // after it, arguments only
		args, rest = args[:i], args[i+1:]
	}
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, o, fmt.Errorf("export: %w", &flagError{msg: doubleDash(err.Error()), err: err})
		}
		args = fs.Args()
		if len(args) > 0 {
			dirs = append(dirs, args[0])
			args = args[1:]
		}
	}
	dirs = append(dirs, rest...)
	if len(dirs) == 0 {
		return nil, o, fmt.Errorf("export: want at least one run folder DIR")
	}
	if o.Format != "csv" && o.Format != "ndjson" && o.Format != "parquet" {
		return nil, o, fmt.Errorf("export: --format %q: want csv, ndjson or parquet", o.Format)
	}
	o.Bucketed = o.Bucketed || o.Dense
	return dirs, o, nil
}
