package mockapi

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Config configures a Server. The zero value serves heavy-tailed bodies
// for seed 0 with no rate limit, no latency and no faults.
type Config struct {
	// Seed selects the bodies (with each resource's name) and, unless
	// Faults.Seed is set, the fault and latency draws.
	Seed uint64
	// Limit is how many data requests a client may make per Window; 0
	// means no limit (and no X-RateLimit-* headers).
	Limit int
	// Window is the fixed rate-limit window; 0 means one second.
	Window time.Duration
	// MaxConcurrent is how many data requests a client may have open at
	// once; one more is answered 429. 0 means no limit.
	MaxConcurrent int
	// RetryAfter is the unit of the Retry-After the mock sends with a 429
	// over MaxConcurrent (one unit) and with 500 (one) and 503 faults
	// (one or two); 0 means one second, written in whole seconds as most
	// servers do. Another unit is written as decimal seconds ("0.05"),
	// which clients read too: tests pass a short one so that the waits a
	// server asks for do not take seconds. The rate-limit window's own
	// Retry-After is the time left in the window.
	RetryAfter time.Duration
	// Latency delays the first byte and caps the bandwidth of data answers.
	Latency Latency
	// Faults says how often each fault strikes.
	Faults Faults
	// Sizes is the distribution of body sizes over resources.
	Sizes SizeDist
	// Overrides pins the size or the fate of single resources.
	Overrides map[string]Override
	// Now is the clock of the rate-limit windows and of envelope times; nil
	// means time.Now. Latency and stalls use real time.
	Now func() time.Time
	// Logger receives one debug line per request; nil means none.
	Logger *slog.Logger
}

// Override changes what one resource gets, whatever the distributions say.
// The zero value changes nothing.
type Override struct {
	// Size is the body's approximate compact size in bytes; 0 means drawn
	// from Config.Sizes. A size below ~600 bytes gives an empty update list.
	Size int64
	// Updates, if positive, is the exact number of updates (Size is then
	// ignored).
	Updates int64
	// Fault strikes this resource with probability FaultRate (0 means 1:
	// "this resource always fails") before the global faults are drawn.
	Fault     Fault
	FaultRate float64
}

// ParseOverride parses "RESOURCE=ITEM[,ITEM]" where an ITEM is a size
// ("3GiB", "size:3GiB"), an exact count ("updates:1000"), or a fault with
// an optional rate ("500", "reset@0.5"). Examples: "AS3333=3GiB",
// "AS1=503", "193.0.0.0/21=reset@0.3,updates:500".
func ParseOverride(s string) (resource string, o Override, err error) {
	resource, items, ok := strings.Cut(s, "=")
	resource = strings.TrimSpace(resource)
	if !ok || resource == "" || strings.TrimSpace(items) == "" {
		return "", o, specErr("override", s, "want RESOURCE=ITEM[,ITEM], e.g. AS3333=3GiB or AS1=503")
	}
	if err := validResource(resource); err != nil {
		return "", o, specErr("override", s, "%v", err)
	}
	for item := range strings.SplitSeq(items, ",") {
		item = strings.TrimSpace(item)
		switch {
		case strings.HasPrefix(item, "updates:"):
			n, perr := strconv.ParseInt(item[len("updates:"):], 10, 64)
			if perr != nil || n <= 0 {
				return "", o, specErr("override", s, "%q: want updates:N with N > 0", item)
			}
			o.Updates = n
		case strings.HasPrefix(item, "size:"):
			if o.Size, err = ParseBytes(item[len("size:"):]); err != nil {
				return "", o, fmt.Errorf("override %q: %w", s, err)
			}
			if o.Size == 0 {
				return "", o, specErr("override", s, "size must be above 0")
			}
		default:
			name, rate, hasRate := strings.Cut(item, "@")
			if f, ferr := ParseFault(name); ferr == nil {
				o.Fault, o.FaultRate = f, 1
				if hasRate {
					if o.FaultRate, err = parseProb("override", s, rate); err != nil {
						return "", o, err
					}
					if o.FaultRate == 0 { // would read as the zero FaultRate: always
						return "", o, specErr("override", s, "%q: want a rate above 0 (leave out a fault that never strikes)", item)
					}
				}
				continue
			}
			n, berr := ParseBytes(item)
			if berr != nil || n == 0 {
				return "", o, specErr("override", s, "%q is neither a size (3GiB), updates:N, nor a fault (%s, optionally @RATE)", item, faultNames())
			}
			o.Size = n
		}
	}
	return resource, o, nil
}

// String returns the spec items ParseOverride reads back (without the
// resource).
func (o Override) String() string {
	var parts []string
	if o.Size > 0 {
		parts = append(parts, "size:"+strconv.FormatInt(o.Size, 10))
	}
	if o.Updates > 0 {
		parts = append(parts, "updates:"+strconv.FormatInt(o.Updates, 10))
	}
	if o.Fault != FaultNone {
		parts = append(parts, string(o.Fault)+"@"+strconv.FormatFloat(o.rate(), 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

func (o Override) rate() float64 {
	if o.FaultRate == 0 {
		return 1
	}
	return o.FaultRate
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Limit < 0 {
		errs = append(errs, fmt.Errorf("Limit %d is negative", c.Limit))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("Window %v is negative", c.Window))
	}
	if c.Window == 0 {
		c.Window = time.Second
	}
	if c.MaxConcurrent < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrent %d is negative", c.MaxConcurrent))
	}
	if c.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("RetryAfter %v is negative", c.RetryAfter))
	}
	if err := c.Faults.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Faults.Seed == 0 {
		c.Faults.Seed = c.Seed
	}
	if c.Faults.Stall == 0 {
		c.Faults.Stall = DefaultStall
	}
	c.Sizes = c.Sizes.withDefaults()
	if c.Sizes.Max < c.Sizes.Min || c.Sizes.Min < 0 {
		errs = append(errs, fmt.Errorf("Sizes: bad bounds [%d, %d]", c.Sizes.Min, c.Sizes.Max))
	}
	if l := c.Latency; l.A < 0 || l.B < 0 || l.Sigma < 0 || l.BytesPerSecond < 0 || (l.Kind == LatencyUniform && l.B < l.A) {
		errs = append(errs, fmt.Errorf("Latency %s: bad parameters", l))
	}
	for r, o := range c.Overrides {
		if o.Size < 0 || o.Updates < 0 || o.FaultRate < 0 || o.FaultRate > 1 {
			errs = append(errs, fmt.Errorf("Overrides[%q]: negative size/updates or rate outside [0, 1]", r))
		}
		if o.Fault != FaultNone {
			if _, err := ParseFault(string(o.Fault)); err != nil {
				errs = append(errs, fmt.Errorf("Overrides[%q]: %w", r, err))
			}
		}
	}
	c.Overrides = maps.Clone(c.Overrides) // the caller may reuse its map
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("mockapi: config: %w", err)
	}
	return c, nil
}
