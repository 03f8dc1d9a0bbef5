package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/scrape/record"
)

// serveCapturesCommand serves a recording over HTTP until interrupted, so
// that any client can be tested against a real recorded run.
func serveCapturesCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "serve-captures",
		Usage: "serve the exchanges of a recording (--record) over HTTP: statuses, headers, cut bodies, resets, stalls",
		Description: "Each request gets the next recorded attempt of its node (read through the run's URL\n" +
			"template; any host) or, with --match request, of its method, path and query. An\n" +
			"unrecorded request gets 404 with X-Sluice-Unrecorded: 1.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "captures", Usage: "recording `DIR`", Required: true, EnvVars: env("captures")},
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8081", Usage: "listen `ADDRESS` (port 0 picks a free one)", EnvVars: env("serve-addr")},
			&cli.StringFlag{Name: "pace", Value: string(record.PaceFast), Usage: "recorded (time to first byte, body pace, stall length) or fast", EnvVars: env("pace")},
			&cli.StringFlag{Name: "match", Value: "node", Usage: "node (through the URL template) or request (method, path and query)", EnvVars: env("match")},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError(fmt.Errorf("serve-captures: unexpected argument %q", c.Args().First()))
			}
			log := io.logger()
			o := record.ServerOptions{Pace: record.Pace(c.String("pace")), Logger: log}
			if o.Pace != record.PaceFast && o.Pace != record.PaceRecorded {
				return usageError(fmt.Errorf("--pace %q: want recorded or fast", c.String("pace")))
			}
			switch m := c.String("match"); m {
			case "node":
			case "request":
				o.Matcher = record.ByRequest
			default:
				return usageError(fmt.Errorf("--match %q: want node or request", m))
			}
			dir := c.String("captures")
			f, err := record.Open(dir)
			if err != nil {
				return usageError(fmt.Errorf("--captures: %w", err))
			}
			reportSkipped(log, f)
			h, err := record.NewHandler(f, o)
			if err != nil {
				return usageError(fmt.Errorf("--captures %s: %w", dir, err))
			}
			ln, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				return usageError(fmt.Errorf("--addr: %w", err))
			}
			return serveCaptures(c.Context, ln, h, len(f.Attempts), log)
		},
	}
}

// serveCaptures serves h on ln until ctx ends.
func serveCaptures(ctx context.Context, ln net.Listener, h *record.Handler, nodes int, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving recorded exchanges", "url", "http://"+ln.Addr().String(), "nodes", nodes)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // stalls never end on their own
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if u := h.Unrecorded(); len(u) > 0 {
		log.Warn("requests without a recorded exchange", "count", len(u), "first", u[0])
	}
	return nil
}
