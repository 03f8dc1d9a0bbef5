package synth

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Placeholders in the templates; json.Indent keeps them intact and the
// builder splits the text around them.
const (
	phTS      = `"@T"`
	phSeq     = `"@S"`
	phUpdates = `"@U"`
)

// Pretty layout: elements sit at depth 3 of the envelope.
const (
	indent     = "  "
	elemIndent = "\n      " // newline + depth 3
	arrClose   = "\n    "   // newline + depth 2, before "]"
)

// elemTmpl is one pre-rendered update element: pre X mid Y post, where X
// and Y are the timestamp and the seq (in the body's key order).
type elemTmpl struct {
	pre, mid, post []byte
}

// layout is the per-body shape: envelope head and tail around the updates
// array, the element templates and their key order.
type layout struct {
	head, tail []byte // envelope text before and after the updates array
	elems      []elemTmpl
	// Separators inside a non-empty updates array: before the first
	// element, between two, and and the closing bracket.
	arrStart, arrSep, arrEnd []byte
	tsFirst                  bool // elements read ..timestamp..seq.. (2022 order) or ..seq..timestamp.. (2026)
	seqBase                  uint64
}

// numTemplates is how many distinct elements a body cycles through (in
// random order); enough for varied text, few enough to stay in L1/L2.
const numTemplates = 128

func newLayout(o Options) *layout {
	r := rng{streamSeed(o.Resource, o.Seed, 3)}
	l := &layout{tsFirst: r.intn(2) == 0}
	l.seqBase = 700_000_000_000_000 + r.next()%100_000_000_000_000
	target, origin := resourceHints(o.Resource)
	l.elems = make([]elemTmpl, numTemplates)
	buf := make([]byte, 0, numTemplates*200) // backs all compact templates
	for i := range l.elems {
		start := len(buf)
		buf = l.element(buf, &r, target, origin)
		l.elems[i] = renderElem(buf[start:len(buf):len(buf)], o.Pretty)
	}
	l.head, l.tail = l.envelope(o, &r)
	l.arrSep, l.arrEnd = []byte(","), []byte("]")
	if o.Pretty {
		l.arrStart, l.arrSep, l.arrEnd = []byte(elemIndent), []byte(","+elemIndent), []byte(arrClose+"]")
	}
	return l
}

// resourceHints returns the prefix most updates target (a prefix resource)
// and the ASN most paths end in (an ASN resource); either may be zero.
func resourceHints(res string) (netip.Prefix, uint32) {
	if p, err := netip.ParsePrefix(res); err == nil {
		return p.Masked(), 0
	}
	s := strings.TrimPrefix(strings.ToUpper(res), "AS")
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return netip.Prefix{}, uint32(n)
	}
	return netip.Prefix{}, 0
}

// element appends the compact JSON of one update, with placeholders, to
// dst. It appends with strconv rather than fmt: a Reader is made per
// request by the mock server, so its set-up cost counts.
func (l *layout) element(dst []byte, r *rng, target netip.Prefix, origin uint32) []byte {
	announce := r.intn(100) < 85
	typ := byte('W')
	if announce {
		typ = 'A'
	}
	var pfxBuf [64]byte
	pfx := randPrefix(pfxBuf[:0], r)
	if target.IsValid() && r.intn(10) < 7 {
		pfx = target.AppendTo(pfxBuf[:0])
	}
	if l.tsFirst {
		dst = append(dst, `{"type":"`...)
		dst = append(dst, typ)
		dst = append(dst, `","timestamp":`+phTS+`,"attrs":`...)
	} else {
		dst = append(dst, `{"seq":`+phSeq+`,"timestamp":`+phTS+`,"type":"`...)
		dst = append(dst, typ)
		dst = append(dst, `","attrs":`...)
	}
	dst = append(dst, `{"target_prefix":"`...)
	dst = append(dst, pfx...)
	dst = append(dst, '"')
	if announce {
		n := 2 + r.intn(5)
		dst = append(dst, `,"path":[`...)
		var last uint32
		for i := 0; i < n; i++ {
			asn := randASN(r)
			if i == n-1 && origin != 0 && r.intn(10) < 7 {
				asn = origin
			}
			if i > 0 {
				dst = append(dst, ',')
				if r.intn(12) == 0 { // prepending
					asn = last
				}
			}
			dst = strconv.AppendUint(dst, uint64(asn), 10)
			last = asn
		}
		dst = append(dst, `],"community":[`...)
		for i := range r.intn(4) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = strconv.AppendUint(dst, uint64(randASN(r)%65536), 10)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, int64(r.intn(10000)), 10)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"source_id":"`...)
	rrc := r.intn(27)
	dst = append(dst, byte('0'+rrc/10), byte('0'+rrc%10), '-')
	dst = randPeer(dst, r)
	dst = append(dst, `"}`...)
	if l.tsFirst {
		dst = append(dst, `,"seq":`+phSeq...)
	}
	return append(dst, '}')
}

func randASN(r *rng) uint32 {
	if r.intn(4) == 0 {
		return uint32(131072 + r.intn(270000)) // 32-bit ASNs
	}
	return uint32(1 + r.intn(64000))
}

func randPrefix(dst []byte, r *rng) []byte {
	if r.intn(5) == 0 {
		dst = append(dst, "2001:"...)
		dst = strconv.AppendUint(dst, uint64(r.intn(0x10000)), 16)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(r.intn(0x10000)), 16)
		dst = append(dst, "::/"...)
		return strconv.AppendInt(dst, int64(32+r.intn(17)), 10)
	}
	bitsLen := 16 + r.intn(9)
	a := netip.AddrFrom4([4]byte{byte(1 + r.intn(223)), byte(r.intn(256)), byte(r.intn(256)), 0})
	return netip.PrefixFrom(a, bitsLen).Masked().AppendTo(dst)
}

func randPeer(dst []byte, r *rng) []byte {
	if r.intn(4) == 0 {
		dst = append(dst, "2001:7f8:"...)
		dst = strconv.AppendUint(dst, uint64(r.intn(0x100)), 16)
		dst = append(dst, "::"...)
		return strconv.AppendUint(dst, uint64(1+r.intn(0xffff)), 16)
	}
	for i, v := range [4]int{1 + r.intn(223), r.intn(256), r.intn(256), 1 + r.intn(254)} {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	return dst
}

// renderElem indents the element if asked and cuts it at the placeholders.
func renderElem(b []byte, pretty bool) elemTmpl {
	if pretty {
		var out bytes.Buffer
		if err := json.Indent(&out, b, elemIndent[1:], indent); err != nil {
			panic("synth: element template is not JSON: " + err.Error()) // a bug in this file
		}
		b = out.Bytes()
	}
	i1, i2 := bytes.Index(b, []byte(phTS)), bytes.Index(b, []byte(phSeq))
	first, second := min(i1, i2), max(i1, i2)
	// Both placeholders are 4 bytes long.
	return elemTmpl{pre: b[:first:first], mid: b[first+4 : second : second], post: b[second+4:]}
}

// envelope renders everything around the updates array.
func (l *layout) envelope(o Options, r *rng) (head, tail []byte) {
	start, end := o.window()
	iso := func(s int64) string { return time.Unix(s, 0).UTC().Format(isoLayout) }
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }

	dataKeys := []string{
		`"resource":` + q(o.Resource),
		`"query_starttime":` + q(iso(start)),
		`"query_endtime":` + q(iso(end)),
		`"updates":` + phUpdates,
		`"nr_updates":` + strconv.FormatInt(o.updates(), 10),
	}
	if r.intn(2) == 0 { // nr_updates before updates
		dataKeys[3], dataKeys[4] = dataKeys[4], dataKeys[3]
	}
	data := `"data":{` + strings.Join(dataKeys, ",") + `}`

	messages := `[]`
	switch o.status() {
	case "ok":
	case "maintenance":
		messages = `[["info","RIPEstat is undergoing maintenance, please try again later."]]`
	default:
		messages = `[["error","An error occurred while processing your request."]]`
	}
	procMS := 20 + r.intn(5000)
	stamp := time.Unix(end, 0).UTC().Add(time.Duration(r.int63n(3600*1e6)) * time.Microsecond)
	keys := []string{
		`"messages":` + messages,
		`"see_also":[]`,
		`"version":"1.1"`,
		`"data_call_name":"bgp-updates"`,
		`"data_call_status":"supported - based on 1.1"`,
		`"cached":false`,
		`"status":` + q(o.status()),
		`"status_code":` + strconv.Itoa(o.statusCode()),
		`"process_time":` + strconv.Itoa(procMS),
		`"server_id":"app` + strconv.Itoa(100+r.intn(80)) + `"`,
		`"build_version":"live.2022.9.1.` + strconv.Itoa(100+r.intn(100)) + `"`,
		`"time":` + q(stamp.Format("2006-01-02T15:04:05.000000")),
	}
	if r.intn(3) == 0 {
		keys = append(keys, `"pipeline":{"name":"bgp-updates","stage":"live","shards":[1,2,3]}`)
	}
	switch r.intn(3) {
	case 0: // data first (2022 clients' expectation)
		keys = append([]string{data}, keys...)
	case 1: // in the middle (2025)
		mid := 6
		keys = append(keys[:mid], append([]string{data}, keys[mid:]...)...)
	default: // last (2026)
		keys = append(keys, data)
	}
	b := []byte("{" + strings.Join(keys, ",") + "}")
	if o.Pretty {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", indent); err != nil {
			panic("synth: envelope template is not JSON: " + err.Error()) // a bug in this file
		}
		out.WriteByte('\n')
		b = out.Bytes()
	}
	// Find the key first: a resource may spell the placeholder, but its
	// quotes are escaped, so `"updates":` is found only where it is a key.
	k := bytes.Index(b, []byte(`"updates":`))
	i := k + bytes.Index(b[k:], []byte(phUpdates))
	return b[:i:i], b[i+len(phUpdates):]
}
