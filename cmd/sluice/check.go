package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/units"
	"github.com/sluicehq/sluice/scrape"
)

// Bounds of the count flags. Past them a value is a typo, not a job:
// --batch-size 100000000 would hold a hundred million outcomes per open
// batch. They are far above any useful setting.
const (
	maxBatchSize   = 1_000_000
	maxConcurrency = 10_000
	maxWindow      = 1_000
	maxAttempts    = 1_000
)

// checkJobFlags validates the flags of a job command before anything is
// opened or fetched, so that a bad value is one usage error (exit 2) that
// names the flag, rather than every node failing its attempts. Flags the
// command does not have are skipped.
func checkJobFlags(c *cli.Context) error {
	has := map[string]bool{}
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			has[n] = true
		}
	}
	counts := []struct {
		name     string
		min, max int
	}{
		{"batch-size", 1, maxBatchSize},
		{"concurrency", 1, maxConcurrency},
		{"window", 1, maxWindow},
		{"max-attempts", 1, maxAttempts},
		{"burst", 0, maxConcurrency},
	}
	for _, n := range counts {
		if !has[n.name] {
			continue
		}
		if v := c.Int(n.name); v < n.min || v > n.max {
			return fmt.Errorf("--%s %d: want %d to %d", n.name, v, n.min, n.max)
		}
	}
	for _, name := range []string{"bucket", "drain-timeout", "max-node-time", "min-backoff", "max-backoff", "request-timeout", "stall-timeout", "speed-time"} {
		if has[name] && c.Duration(name) < 0 {
			return fmt.Errorf("--%s %v: must not be negative", name, c.Duration(name))
		}
	}
	for _, name := range []string{"buffer-size", "max-value-size"} {
		if v := sizeOf(c, name); has[name] && v > 1<<30 {
			return fmt.Errorf("--%s %s: want at most 1GiB", name, units.ExactSize(v))
		}
	}
	if has["speed-limit"] && has["speed-time"] {
		// A minimum that asks for less than one byte per span can never
		// fire: a typo (--speed-time 30ms for 30s), not a setting.
		if v, d := sizeOf(c, "speed-limit"), c.Duration("speed-time"); v > 0 && d > 0 && float64(v)*d.Seconds() < 1 {
			return fmt.Errorf("--speed-limit %s over --speed-time %v: less than one byte; raise either (0 turns the minimum off)", units.ExactSize(v), d)
		}
	}
	for _, name := range []string{"rate"} {
		if has[name] && c.Float64(name) < 0 {
			return fmt.Errorf("--%s %v: must not be negative", name, c.Float64(name))
		}
	}
	if has["header"] {
		for i, h := range c.StringSlice("header") {
			if err := checkHeader(h); err != nil {
				return fmt.Errorf("--header #%d %q: %w", i+1, h, err)
			}
		}
	}
	if has["url"] {
		if err := checkTemplate(c.String("url")); err != nil {
			return fmt.Errorf("--url %q: %w", c.String("url"), err)
		}
	}
	if has["base-url"] {
		if err := checkTemplate(c.String("base-url") + "/{node}"); err != nil {
			return fmt.Errorf("--base-url %q: %w", c.String("base-url"), err)
		}
	}
	return nil
}

// checkHeader checks one 'Name: value' of --header as net/http would
// refuse it on every request: the name a token (RFC 9110 §5.1), the value
// free of control characters but tab (§5.5).
func checkHeader(h string) error {
	name, val, ok := strings.Cut(h, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want 'Name: value'")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) {
			return fmt.Errorf("byte %d of the name, %q, is not allowed in a header name", i, name[i])
		}
	}
	off := strings.IndexByte(h, ':') + 1
	for i := 0; i < len(val); i++ {
		if b := val[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return fmt.Errorf("control character %q at byte %d", b, off+i)
		}
	}
	return nil
}

// isTokenByte reports whether b may appear in an HTTP token.
func isTokenByte(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// checkTemplate checks that a request template is an absolute http(s)
// URL once its placeholders are filled, and that it names {node}.
func checkTemplate(tmpl string) error {
	if !strings.Contains(tmpl, "{node}") {
		return fmt.Errorf("no {node} placeholder")
	}
	for i := 0; i < len(tmpl); i++ {
		if b := tmpl[i]; b <= ' ' || b == 0x7f {
			return fmt.Errorf("space or control character at byte %d", i)
		}
	}
	// Fill every {name} with a plain word, so that only the template's own
	// text is judged.
	var b strings.Builder
	for rest := tmpl; rest != ""; {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		b.WriteString("x")
		rest = rest[i+j+1:]
	}
	u, err := url.Parse(b.String())
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an http:// or https:// URL")
	case u.Host == "":
		return fmt.Errorf("no host")
	}
	return nil
}

// optionFlags maps the scrape.Options fields a job command sets to their
// flags, so that a refused option reaches the user as the flag they typed.
var optionFlags = map[string]string{
	"Rate": "rate", "BytesPerSecond": "bytes-per-second", "Burst": "burst", "Concurrency": "concurrency",
	"MaxAttempts": "max-attempts", "MaxNodeTime": "max-node-time", "RequestTimeout": "request-timeout",
	"StallTimeout": "stall-timeout", "MinBackoff": "min-backoff", "MaxBackoff": "max-backoff",
}

// optionError turns a *scrape.OptionError in err into a usage error that
// names the flag (--burst -1: must be ≥ 0) instead of the Go field;
// other errors pass unchanged. checkJobFlags refuses most such values
// first; this holds for the rest (a field set from two flags, a check
// the library adds later).
func optionError(err error) error {
	var oe *scrape.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	name, ok := optionFlags[oe.Field]
	if !ok {
		return err // no flag sets it: the command's own bug, said as it is
	}
	want := oe.Want
	for field, flag := range optionFlags {
		want = strings.ReplaceAll(want, field, "--"+flag)
	}
	return usageError(fmt.Errorf("--%s %v: %s", name, oe.Value, want))
}
