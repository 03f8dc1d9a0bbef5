package batch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
)

// The daily job from Go: count each resource's BGP updates of one day per
// hour into a folder. Running the same Job again resumes it; here the
// second run finds every batch done.
func ExampleJob() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"ok","data":{"updates":[{"timestamp":"2026-11-30T08:00:03"},{"timestamp":"2026-11-30T09:12:00"}]}}`)
	})) // stands in for https://stat.ripe.net
	defer api.Close()
	out, _ := os.MkdirTemp("", "sluice-daily")
	defer os.RemoveAll(out)

	day := map[string]string{"start": "2026-11-30T00:00:00", "end": "2026-11-30T23:59:59"}
	job := batch.Job{
		Nodes: []string{"AS3333", "AS13335", "193.0.0.0/21"},
		Out:   out,
		Scrape: scrape.Options{
			URL:  api.URL + "/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}",
			Vars: day,
			Rate: 8, // requests per second
		},
		Start: day["start"], End: day["end"],
		Options: batch.Options{
			Extract:    extract.Options{Paths: []string{"data.updates[*].timestamp"}},
			StatusPath: "status",
		},
	}
	for range 2 {
		sum, err := job.Run(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d fetched, %d of %d batches done before, %d dead letters\n", sum.OK, sum.SkippedBatches, sum.Batches, sum.DeadLetters)
	}
	// Output:
	// 3 fetched, 0 of 1 batches done before, 0 dead letters
	// 0 fetched, 1 of 1 batches done before, 0 dead letters
}
