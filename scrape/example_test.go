package scrape_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/sluicehq/sluice/scrape"
)

func ExampleRedact() {
	fmt.Println(scrape.Redact("https://api.example.com/v1/data?resource=AS3333&api_key=9f8e7d"))
	fmt.Println(scrape.Redact(`Get "https://bob:hunter2@example.com/x?token=abc&r=1": EOF`))
	// Output:
	// https://api.example.com/v1/data?resource=AS3333&api_key=REDACTED
	// Get "https://REDACTED@example.com/x?token=REDACTED&r=1": EOF
}

func ExampleCaptureName() {
	for _, node := range []string{"AS3333", "193.0.0.0/21", "../../etc/passwd"} {
		fmt.Println(scrape.CaptureName(node) + scrape.CaptureExt)
	}
	// Output:
	// AS3333.json.zst
	// 193.0.0.0_21~53c80f5908f60fd2.json.zst
	// _._.._etc_passwd~3754d6cb3a38e118.json.zst
}

func ExampleClient_Fetch() {
	// A stand-in for the API, on loopback.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"status":"ok","data":{"resource":%q,"updates":[]}}`, r.URL.Query().Get("resource"))
	}))
	defer srv.Close()

	c, err := scrape.New(scrape.Options{
		URL:    srv.URL + "/data.json?resource={node}&starttime={start}",
		Vars:   map[string]string{"start": "2022-09-12T00:00:00"},
		Header: http.Header{"X-Api-Key": {"not-printed-anywhere"}},
		Rate:   10, // requests per second, shared by every Fetch
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := c.Fetch(context.Background(), "193.0.0.0/21", func(body io.Reader) error {
		_, err := io.Copy(os.Stdout, body) // an extractor, in real use
		return err
	})
	fmt.Println()
	fmt.Println(res.Status, res.Attempts, res.BodyBytes, err)
	// Output:
	// {"status":"ok","data":{"resource":"193.0.0.0/21","updates":[]}}
	// 200 1 63 <nil>
}
