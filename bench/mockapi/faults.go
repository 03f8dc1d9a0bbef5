package mockapi

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault is one way an answer can go wrong.
type Fault string

// The faults. The zero Fault means a correct answer.
const (
	FaultNone        Fault = ""
	Fault500         Fault = "500"         // 500 with a JSON error body, sometimes Retry-After
	Fault502         Fault = "502"         // 502 with a proxy's HTML page
	Fault503         Fault = "503"         // 503 with a JSON error body and Retry-After
	FaultHTML        Fault = "html"        // 200 with an HTML error page
	FaultReset       Fault = "reset"       // the connection is reset in the middle of the body
	FaultTruncate    Fault = "truncate"    // the body is cut short, the HTTP response ends cleanly
	FaultStall       Fault = "stall"       // headers and maybe some bytes, then silence, then a reset
	FaultLength      Fault = "length"      // a Content-Length that lies (too short or too long)
	FaultMaintenance Fault = "maintenance" // 200 with an envelope "status":"maintenance"
	FaultError       Fault = "error"       // 200 with an envelope "status":"error"
)

// AllFaults lists the faults in the order a draw walks them; each call
// returns a new slice.
func AllFaults() []Fault {
	return []Fault{Fault500, Fault502, Fault503, FaultHTML, FaultReset,
		FaultTruncate, FaultStall, FaultLength, FaultMaintenance, FaultError}
}

// ParseFault checks a fault name.
func ParseFault(s string) (Fault, error) {
	f := Fault(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(AllFaults(), f) {
		return f, nil
	}
	return "", specErr("fault", s, "unknown fault (want one of %s)", faultNames())
}

func faultNames() string {
	names := make([]string, len(AllFaults()))
	for i, f := range AllFaults() {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// DefaultStall is how long a stall lasts before the connection is reset,
// when Faults.Stall is zero. Clients are expected to give up sooner.
const DefaultStall = 2 * time.Minute

// Faults says how often each fault strikes a data request. The zero value
// injects none. Faults is a value; copy it freely.
type Faults struct {
	// Rates maps a fault to its probability per request; the rates add up
	// to at most 1.
	Rates map[Fault]float64
	// Seed seeds the draws; 0 means Config.Seed.
	Seed uint64
	// Stall is how long a stall lasts; 0 means DefaultStall.
	Stall time.Duration
}

// ParseFaults parses a spec like "500=0.05,reset=0.02,stall=0.01",
// optionally with "seed=N" and "stall-for=DURATION". "" and "none" mean no
// faults.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	if t := strings.TrimSpace(s); t == "" || t == "none" {
		return f, nil
	}
	f.Rates = make(map[Fault]float64)
	sum := 0.0
	for item := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return f, specErr("faults", s, "item %q is not NAME=VALUE (e.g. 500=0.05)", item)
		}
		switch k {
		case "seed":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return f, specErr("faults", s, "seed %q is not an unsigned integer", v)
			}
			f.Seed = n
		case "stall-for":
			d, err := parseDur("faults", s, v)
			if err != nil {
				return f, err
			}
			f.Stall = d
		default:
			fault, err := ParseFault(k)
			if err != nil {
				return f, specErr("faults", s, "unknown fault %q (want one of %s, seed or stall-for)", k, faultNames())
			}
			if _, dup := f.Rates[fault]; dup {
				return f, specErr("faults", s, "fault %q given twice", k)
			}
			p, err := parseProb("faults", s, v)
			if err != nil {
				return f, err
			}
			f.Rates[fault] = p
			sum += p
		}
	}
	if sum > 1+1e-9 {
		return f, specErr("faults", s, "rates add up to %.4g, more than 1", sum)
	}
	return f, nil
}

// String returns the spec ParseFaults reads back.
func (f Faults) String() string {
	var parts []string
	for _, k := range AllFaults() {
		if p, ok := f.Rates[k]; ok {
			parts = append(parts, string(k)+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	if f.Seed != 0 {
		parts = append(parts, "seed="+strconv.FormatUint(f.Seed, 10))
	}
	if f.Stall != 0 {
		parts = append(parts, "stall-for="+f.Stall.String())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

func (f Faults) validate() error {
	sum := 0.0
	for k, p := range f.Rates {
		if !slices.Contains(AllFaults(), k) {
			return fmt.Errorf("mockapi: Faults.Rates: unknown fault %q", k)
		}
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("mockapi: Faults.Rates[%s] = %v, not in [0, 1]", k, p)
		}
		sum += p
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("mockapi: Faults.Rates add up to %.4g, more than 1", sum)
	}
	return nil
}

// draw picks this request's fault.
func (f Faults) draw(r *rand.Rand) Fault {
	u := r.Float64()
	for _, k := range AllFaults() {
		if p := f.Rates[k]; u < p {
			return k
		} else {
			u -= p
		}
	}
	return FaultNone
}
