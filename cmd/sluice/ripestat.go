package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// RIPEstat preset defaults. RIPE documents a limit of 8 concurrent requests
// per IP and no request rate; 8 requests a second keeps well clear of
// trouble while a day's 80,000 resources still finish within hours.
const (
	ripestatBaseURL = "https://stat.ripe.net"
	ripestatRate    = 8
	ripestatPath    = "data.updates[*].timestamp"
	ripestatLayout  = "2006-01-02T15:04:05"
)

// ripestatCommand is the preset for the daily bgp-updates job.
func ripestatCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "ripestat",
		Usage: "the daily job: count the BGP updates of each resource per hour (RIPEstat bgp-updates)",
		Description: "Asks https://stat.ripe.net/data/bgp-updates/data.json about every resource of --nodes\n" +
			"for one UTC day (default: yesterday) and stores per-resource, per-hour counts in --out.",
		Flags: append(append(jobFlags(), fetchFlags(ripestatRate)...),
			&cli.StringFlag{Name: "date", Usage: "UTC day `YYYY-MM-DD` (default: yesterday)", EnvVars: env("date")},
			&cli.StringFlag{Name: "start", Usage: "window start, RFC 3339 or YYYY-MM-DDTHH:MM:SS UTC (instead of --date)", EnvVars: env("start")},
			&cli.StringFlag{Name: "end", Usage: "window end (with --start)", EnvVars: env("end")},
			&cli.StringFlag{Name: "sourceapp", Usage: "your registered RIPEstat sourceapp identifier", EnvVars: env("sourceapp")},
			&cli.StringFlag{Name: "base-url", Value: ripestatBaseURL, Usage: "API root (a mock server, a proxy)", EnvVars: env("base-url")},
			&cli.BoolFlag{Name: "unix-timestamps", Usage: "ask for integer timestamps (unix_timestamps=TRUE)", EnvVars: env("unix-timestamps")},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			start, end, err := ripestatWindow(c.String("date"), c.String("start"), c.String("end"), io.now())
			if err != nil {
				return usageError(err)
			}
			tmpl, vars := ripestatURL(c.String("base-url"), start, end, c.String("sourceapp"), c.Bool("unix-timestamps"))
			if !c.IsSet("path") {
				if err := c.Set("path", ripestatPath); err != nil {
					return err
				}
			}
			return runJob(c, io, job{tmpl: tmpl, vars: vars, start: vars["start"], end: vars["end"], statusPath: "status"})
		},
	}
}

// ripestatURL builds the bgp-updates template and its variables.
func ripestatURL(base string, start, end time.Time, app string, unix bool) (string, map[string]string) {
	tmpl := strings.TrimRight(base, "/") + "/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}"
	vars := map[string]string{
		"start": start.UTC().Format(ripestatLayout),
		"end":   end.UTC().Format(ripestatLayout),
	}
	if app != "" {
		tmpl += "&sourceapp={app}"
		vars["app"] = app
	}
	if unix {
		tmpl += "&unix_timestamps=TRUE"
	}
	return tmpl, vars
}

// ripestatWindow turns --date or --start/--end into a query window. A day
// runs from 00:00:00 to 23:59:59 UTC: RIPEstat's window includes its end,
// and consecutive days must not share a second.
func ripestatWindow(date, start, end string, now time.Time) (time.Time, time.Time, error) {
	switch {
	case date != "" && (start != "" || end != ""):
		return time.Time{}, time.Time{}, fmt.Errorf("give --date or --start/--end, not both")
	case start != "" || end != "":
		if start == "" || end == "" {
			return time.Time{}, time.Time{}, fmt.Errorf("--start and --end go together")
		}
		s, err := parseWhen(start)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--start: %w", err)
		}
		e, err := parseWhen(end)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--end: %w", err)
		}
		if !e.After(s) {
			return time.Time{}, time.Time{}, fmt.Errorf("--end %s is not after --start %s", end, start)
		}
		return s, e, nil
	}
	day := now.UTC().AddDate(0, 0, -1).Truncate(24 * time.Hour)
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--date %q: want YYYY-MM-DD", date)
		}
		day = d
	}
	return day, day.Add(24*time.Hour - time.Second), nil
}

// parseWhen reads an RFC 3339 time or a zoneless one, taken as UTC.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(ripestatLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 or YYYY-MM-DDTHH:MM:SS", s)
	}
	return t, nil
}
