package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	for i := range l.elems {
		l.elems[i] = renderElem(l.element(&r, target, origin), o.Pretty)
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

// element returns the compact JSON of one update with placeholders.
func (l *layout) element(r *rng, target netip.Prefix, origin uint32) string {
	var b strings.Builder
	announce := r.intn(100) < 85
	typ := "W"
	if announce {
		typ = "A"
	}
	pfx := randPrefix(r)
	if target.IsValid() && r.intn(10) < 7 {
		pfx = target.String()
	}
	var attrs strings.Builder
	fmt.Fprintf(&attrs, `{"target_prefix":%q`, pfx)
	if announce {
		n := 2 + r.intn(5)
		attrs.WriteString(`,"path":[`)
		var last uint32
		for i := 0; i < n; i++ {
			asn := randASN(r)
			if i == n-1 && origin != 0 && r.intn(10) < 7 {
				asn = origin
			}
			if i > 0 {
				attrs.WriteByte(',')
				if r.intn(12) == 0 { // prepending
					asn = last
				}
			}
			attrs.WriteString(strconv.FormatUint(uint64(asn), 10))
			last = asn
		}
		attrs.WriteString(`],"community":[`)
		for i := range r.intn(4) {
			if i > 0 {
				attrs.WriteByte(',')
			}
			fmt.Fprintf(&attrs, `"%d:%d"`, randASN(r)%65536, r.intn(10000))
		}
		attrs.WriteByte(']')
	}
	fmt.Fprintf(&attrs, `,"source_id":"%02d-%s"}`, r.intn(27), randPeer(r))
	if l.tsFirst {
		fmt.Fprintf(&b, `{"type":%q,"timestamp":%s,"attrs":%s,"seq":%s}`, typ, phTS, attrs.String(), phSeq)
	} else {
		fmt.Fprintf(&b, `{"seq":%s,"timestamp":%s,"type":%q,"attrs":%s}`, phSeq, phTS, typ, attrs.String())
	}
	return b.String()
}

func randASN(r *rng) uint32 {
	if r.intn(4) == 0 {
		return uint32(131072 + r.intn(270000)) // 32-bit ASNs
	}
	return uint32(1 + r.intn(64000))
}

func randPrefix(r *rng) string {
	if r.intn(5) == 0 {
		return fmt.Sprintf("2001:%x:%x::/%d", r.intn(0x10000), r.intn(0x10000), 32+r.intn(17))
	}
	bitsLen := 16 + r.intn(9)
	a := netip.AddrFrom4([4]byte{byte(1 + r.intn(223)), byte(r.intn(256)), byte(r.intn(256)), 0})
	return netip.PrefixFrom(a, bitsLen).Masked().String()
}

func randPeer(r *rng) string {
	if r.intn(4) == 0 {
		return fmt.Sprintf("2001:7f8:%x::%x", r.intn(0x100), 1+r.intn(0xffff))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+r.intn(223), r.intn(256), r.intn(256), 1+r.intn(254))
}

// renderElem indents the element if asked and cuts it at the placeholders.
func renderElem(s string, pretty bool) elemTmpl {
	b := []byte(s)
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
	stamp := time.Unix(end, 0).UTC().Add(time.Duration(r.intn(3600*1e6)) * time.Microsecond)
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
