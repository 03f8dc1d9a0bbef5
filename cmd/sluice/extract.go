package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
)

// extractCommand runs one extraction over one body and prints a summary.
func extractCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:      "extract",
		Usage:     "extract timestamps from one JSON body and print a summary",
		ArgsUsage: "FILE|-",
		Description: "Prints one JSON object on stdout:\n" +
			`  {"count":N,"invalid":K,"first":UNIX,"last":UNIX,"bytes":B,"mode":"stream"}` + "\n" +
			"count: selected values that are timestamps; invalid: those that are not; first/last:\n" +
			"unix seconds, null when count is 0; bytes: bytes read. Malformed input exits 1 with\n" +
			"one line on stderr naming the file, the problem and its byte offset; a usage error\n" +
			"exits 2. - reads stdin. Regex mode matches text, not paths: the pattern derived from\n" +
			"--path finds its last key anywhere in the document (see --pattern).\n" +
			"A body without the selector's container (data.updates for data.updates[*].timestamp)\n" +
			"exits 1 with \"path data.updates not found\", unless --allow-missing; an empty one counts 0.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Value: string(extract.Stream), Usage: "`MODE`: stream, regex or full"},
			&cli.StringFlag{Name: "path", Value: extract.DefaultPath, Usage: "`SELECTOR` of the values, e.g. data.updates[*].timestamp"},
			&cli.StringFlag{Name: "pattern", Usage: "regex mode: a `REGEXP` with one capture group, instead of one derived from --path's last key"},
			sizeFlag("buffer-size", extract.DefaultBufferSize, "read buffer (stream) or chunk size (regex), a `SIZE` (e.g. 64KiB)"),
			sizeFlag("max-value-size", extract.DefaultMaxValueSize, "longest selected value, a `SIZE`"),
			sizeFlag("max-body-size", 0, "full mode: largest body, a `SIZE` (e.g. 16GiB; 0: no cap)"),
			&cli.BoolFlag{Name: "strict", Usage: "validate the whole document per RFC 8259"},
			&cli.StringFlag{Name: "unit", Value: "s", Usage: "`UNIT` of numeric timestamps: s or ms"},
			&cli.BoolFlag{Name: "allow-missing", Usage: "count 0 for a body without the selector's container instead of failing"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts, unit, name, err := extractArgs(c)
			if err != nil {
				return usageError(err)
			}
			e, err := extract.New(opts)
			if err != nil {
				return usageError(err)
			}
			r, closeInput, err := openInput(name, io.in)
			if err != nil {
				return failure(fmt.Errorf("extract: %w", err))
			}
			defer closeInput()
			sum, err := runExtract(c.Context, e, unit, r, c.Bool("allow-missing"))
			if err != nil {
				if name == "-" {
					name = "<stdin>"
				}
				if errors.Is(err, context.Canceled) {
					return err
				}
				return failure(fmt.Errorf("%s: %w", name, err))
			}
			out, err := json.Marshal(sum)
			if err != nil {
				return failure(err)
			}
			_, err = fmt.Fprintf(io.out, "%s\n", out)
			return err
		},
	}
}

// extractSummary is the line `sluice extract` prints.
type extractSummary struct {
	Count   int64  `json:"count"`
	Invalid int64  `json:"invalid"`
	First   *int64 `json:"first"`
	Last    *int64 `json:"last"`
	Bytes   int64  `json:"bytes"`
	Mode    string `json:"mode"`
}

// extractArgs checks the flags and the one argument.
func extractArgs(c *cli.Context) (extract.Options, extract.Unit, string, error) {
	var o extract.Options
	if c.NArg() != 1 {
		return o, 0, "", fmt.Errorf("extract: want one FILE or - (for stdin), got %d arguments %q (flags go before FILE)", c.NArg(), c.Args().Slice())
	}
	mode, err := extract.ParseMode(c.String("mode"))
	if err != nil {
		return o, 0, "", err
	}
	unit, err := extract.ParseUnit(c.String("unit"))
	if err != nil {
		return o, 0, "", err
	}
	o = extract.Options{
		Mode:         mode,
		Paths:        []string{c.String("path")},
		BufferSize:   int(sizeOf(c, "buffer-size")),
		MaxValueSize: int(sizeOf(c, "max-value-size")),
		MaxBodySize:  sizeOf(c, "max-body-size"),
		Strict:       c.Bool("strict"),
	}
	if p := c.String("pattern"); p != "" {
		if mode != extract.Regex {
			return o, 0, "", fmt.Errorf("extract: --pattern needs --mode regex (mode is %s)", mode)
		}
		o.Patterns = []string{p}
	}
	if o.BufferSize <= 0 || o.MaxValueSize <= 0 || o.MaxBodySize < 0 {
		return o, 0, "", errors.New("extract: --buffer-size and --max-value-size must be positive, --max-body-size not negative")
	}
	return o, unit, c.Args().First(), nil
}

// openInput opens FILE, or returns stdin for "-".
func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// runExtract tallies the values e finds in r. ctx stops it between reads.
// Unless allowMissing, a selector that did not reach its container is an
// error (*extract.MissingPathError): a renamed field is not a zero count.
func runExtract(ctx context.Context, e *extract.Extractor, unit extract.Unit, r io.Reader, allowMissing bool) (extractSummary, error) {
	t := extract.Tally{Unit: unit}
	n, err := e.Run(&scrape.ContextReader{Ctx: ctx, R: r}, func(_ int, raw []byte) error {
		t.Add(raw)
		return nil
	})
	if err != nil {
		return extractSummary{}, err
	}
	if !allowMissing {
		if err := e.CheckReached(); err != nil {
			return extractSummary{}, err
		}
	}
	sum := extractSummary{Count: t.Count, Invalid: t.Invalid, Bytes: n, Mode: string(e.Mode())}
	if t.Count > 0 {
		sum.First, sum.Last = &t.First, &t.Last
	}
	return sum, nil
}
