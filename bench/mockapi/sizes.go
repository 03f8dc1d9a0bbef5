package mockapi

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SizeKind names a body size distribution.
type SizeKind string

// The size distributions. The zero SizeKind means SizeHeavy with its
// defaults.
const (
	SizeHeavy     SizeKind = "heavy"     // Pareto: minimum Min, tail index Alpha, capped at Max
	SizeFixed     SizeKind = "fixed"     // always Min
	SizeUniform   SizeKind = "uniform"   // uniform in [Min, Max]
	SizeLognormal SizeKind = "lognormal" // median Min, shape Alpha, capped at Max
)

// Defaults of the heavy-tailed distribution: a median of about 15 KiB,
// one answer in ~45 above 256 KiB, one in ~2,000 above 8 MiB, about three
// in 100,000 above 100 MiB (a few per RIPEstat daily run of 80,000
// resources), the rest capped at 512 MiB. Multi-GiB "monsters" are set
// per resource with Config.Overrides.
const (
	DefaultHeavyMin   = 8 << 10
	DefaultHeavyAlpha = 1.1
	DefaultHeavyMax   = 512 << 20
)

// SizeDist draws the (approximate, compact) body size of each resource.
// The zero value is the default heavy-tailed distribution.
type SizeDist struct {
	Kind     SizeKind
	Min, Max int64
	Alpha    float64
}

// ParseSizeDist parses "heavy" (the default), "heavy:MIN:ALPHA:MAX",
// "fixed:64KiB", "uniform:MIN:MAX", "lognormal:MEDIAN:SIGMA[:MAX]".
func ParseSizeDist(s string) (SizeDist, error) {
	kind, args := splitSpec(s)
	spec := s
	d := SizeDist{Kind: SizeKind(kind)}
	size := func(i int, dst *int64) error {
		v, err := ParseBytes(args[i])
		if err != nil {
			return specErr("size-dist", spec, "argument %d: %v", i+1, err)
		}
		*dst = v
		return nil
	}
	alpha := func(i int) error {
		v, err := strconv.ParseFloat(args[i], 64)
		if err != nil || !(v > 0 && v <= 10) {
			return specErr("size-dist", spec, "shape %q is not a number in (0, 10]", args[i])
		}
		d.Alpha = v
		return nil
	}
	var err error
	switch d.Kind {
	case "", SizeHeavy:
		d.Kind = SizeHeavy
		switch len(args) {
		case 0:
			return SizeDist{Kind: SizeHeavy, Min: DefaultHeavyMin, Alpha: DefaultHeavyAlpha, Max: DefaultHeavyMax}, nil
		case 3:
			err = firstErr(size(0, &d.Min), alpha(1), size(2, &d.Max))
		default:
			return d, specErr("size-dist", spec, "want heavy or heavy:MIN:ALPHA:MAX, e.g. heavy:8KiB:1.1:512MiB")
		}
	case SizeFixed:
		if len(args) != 1 {
			return d, specErr("size-dist", spec, "want fixed:SIZE, e.g. fixed:64KiB")
		}
		err = size(0, &d.Min)
		d.Max = d.Min
	case SizeUniform:
		if len(args) != 2 {
			return d, specErr("size-dist", spec, "want uniform:MIN:MAX, e.g. uniform:10KiB:1MiB")
		}
		err = firstErr(size(0, &d.Min), size(1, &d.Max))
	case SizeLognormal:
		if len(args) != 2 && len(args) != 3 {
			return d, specErr("size-dist", spec, "want lognormal:MEDIAN:SIGMA[:MAX], e.g. lognormal:64KiB:1.5:1GiB")
		}
		d.Max = DefaultHeavyMax
		err = firstErr(size(0, &d.Min), alpha(1))
		if len(args) == 3 {
			err = firstErr(err, size(2, &d.Max))
		}
	default:
		return d, specErr("size-dist", spec, "unknown distribution %q (want heavy, fixed, uniform or lognormal)", kind)
	}
	if err == nil && d.Max < d.Min {
		err = specErr("size-dist", spec, "max %d is below min %d", d.Max, d.Min)
	}
	return d, err
}

// String returns the spec ParseSizeDist reads back.
func (d SizeDist) String() string {
	d = d.withDefaults()
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	switch d.Kind {
	case SizeFixed:
		return "fixed:" + n(d.Min)
	case SizeUniform:
		return "uniform:" + n(d.Min) + ":" + n(d.Max)
	case SizeLognormal:
		return "lognormal:" + n(d.Min) + ":" + f(d.Alpha) + ":" + n(d.Max)
	}
	return strings.Join([]string{"heavy", n(d.Min), f(d.Alpha), n(d.Max)}, ":")
}

func (d SizeDist) withDefaults() SizeDist {
	if d.Kind == "" {
		return SizeDist{Kind: SizeHeavy, Min: DefaultHeavyMin, Alpha: DefaultHeavyAlpha, Max: DefaultHeavyMax}
	}
	return d
}

// draw returns one size in bytes.
func (d SizeDist) draw(r *rand.Rand) int64 {
	d = d.withDefaults()
	var v float64
	switch d.Kind {
	case SizeFixed:
		return d.Min
	case SizeUniform:
		return d.Min + r.Int64N(d.Max-d.Min+1)
	case SizeLognormal:
		v = float64(d.Min) * math.Exp(d.Alpha*r.NormFloat64())
	default: // heavy: inverse CDF of Pareto(Min, Alpha)
		v = float64(d.Min) / math.Pow(1-r.Float64(), 1/d.Alpha)
	}
	return int64(min(v, float64(d.Max)))
}
