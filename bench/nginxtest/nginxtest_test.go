package nginxtest

import (
	"io"
	"net/http"
	"testing"
)

// TestStart: the server serves a file, refuses past its burst with 429,
// and sends Retry-After when asked.
func TestStart(t *testing.T) {
	s := Start(t, Config{Rate: 1, Burst: 1, RetryAfter: "1", Files: map[string][]byte{"a.json": []byte(`{"a":1}`)}})
	codes := map[int]int{}
	var ra string
	for range 4 {
		resp, err := http.Get(s.URL + "/data/a.json")
		if err != nil {
			t.Fatalf("%v\n%s", err, s.ErrorLog())
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.StatusCode == 429 {
			ra = resp.Header.Get("Retry-After")
		}
	}
	if codes[200] < 1 || codes[429] < 1 || ra != "1" {
		t.Errorf("codes %v, Retry-After %q; want 200s, then 429s with Retry-After 1\n%s", codes, ra, s.ErrorLog())
	}
}
