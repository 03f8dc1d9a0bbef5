package measure

import (
	"net/http"
	"sync"
	"time"
)

// timeline counts the requests a run sends per TimelineBin, and the 429s
// among them, by the instant each request was sent: the rate over time
// that the bench report charts. It wraps the client's transport.
type timeline struct {
	next  http.RoundTripper
	start time.Time // set before the run's first request

	mu       sync.Mutex
	sent     []int32
	refused  []int32
	first429 time.Duration // -1: none yet
}

func newTimeline() *timeline { return &timeline{first429: -1} }

func (tl *timeline) wrap(rt http.RoundTripper) http.RoundTripper {
	tl.next = rt
	return tl
}

func (tl *timeline) RoundTrip(req *http.Request) (*http.Response, error) {
	at := time.Since(tl.start)
	resp, err := tl.next.RoundTrip(req)
	i := int(max(at, 0) / TimelineBin)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for len(tl.sent) <= i {
		tl.sent, tl.refused = append(tl.sent, 0), append(tl.refused, 0)
	}
	tl.sent[i]++
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		tl.refused[i]++
		if tl.first429 < 0 || at < tl.first429 {
			tl.first429 = at
		}
	}
	return resp, err
}

// into copies the counts into s.
func (tl *timeline) into(s *ScrapeSample) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	s.Sent, s.Refused, s.First429Nanos = tl.sent, tl.refused, int64(tl.first429)
}
