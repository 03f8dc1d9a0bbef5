package mockapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// query is a parsed data or truth request.
type query struct {
	resource   string
	start, end time.Time // zero: synth's default window
	unix       bool
}

// parseQuery reads resource, starttime, endtime and unix_timestamps; the
// error text is what a 400 answer says.
func parseQuery(v url.Values) (query, error) {
	var q query
	q.resource = strings.TrimSpace(v.Get("resource"))
	if err := validResource(q.resource); err != nil {
		return q, err
	}
	var err error
	if s := v.Get("starttime"); s != "" {
		if q.start, err = parseTime(s); err != nil {
			return q, fmt.Errorf("starttime: %w", err)
		}
	}
	if s := v.Get("endtime"); s != "" {
		if q.end, err = parseTime(s); err != nil {
			return q, fmt.Errorf("endtime: %w", err)
		}
	}
	if !q.start.IsZero() && !q.end.IsZero() && !q.end.After(q.start) {
		return q, fmt.Errorf("endtime %s is not after starttime %s", v.Get("endtime"), v.Get("starttime"))
	}
	if s := v.Get("unix_timestamps"); s != "" {
		if q.unix, err = strconv.ParseBool(s); err != nil {
			return q, fmt.Errorf("unix_timestamps %q is not TRUE or FALSE", s)
		}
	}
	return q, nil
}

// validResource accepts what RIPEstat does for bgp-updates: an ASN (with
// or without "AS"), an IP address, a prefix, or a comma-separated list.
func validResource(res string) error {
	if res == "" {
		return fmt.Errorf("the resource parameter is required")
	}
	for part := range strings.SplitSeq(res, ",") {
		p := strings.TrimSpace(part)
		asn := p
		if len(asn) > 2 && strings.EqualFold(asn[:2], "AS") {
			asn = asn[2:]
		}
		if _, err := strconv.ParseUint(asn, 10, 32); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		return fmt.Errorf("resource %q is not a valid ASN, IP address or prefix", p)
	}
	return nil
}

// timeLayouts are the ISO 8601 forms accepted besides unix seconds; times
// without a zone are UTC, as on RIPEstat.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither unix seconds nor ISO 8601 (2022-09-12T08:00:00)", s)
}

// clientKey names the client for limits and stats: its sourceapp, else
// its IP address.
func clientKey(r *http.Request) string {
	if app := r.URL.Query().Get("sourceapp"); app != "" {
		return app
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
