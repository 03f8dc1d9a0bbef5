package batch

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

// The identity is derived from the job's fields alone, with defaults
// spelled out and secrets kept out.
func TestJobIdentity(t *testing.T) {
	j := Job{
		Nodes: []string{"AS1", "AS2", "AS3"},
		Scrape: scrape.Options{
			URL:  "https://api.example/v1/{token}/items/{node}?from={start}&apikey={key}",
			Vars: map[string]string{"token": "s3cr3t-path-token", "start": "2026-11-22", "key": "s3cr3t-query-key"},
		},
		Start: "2026-11-22", End: "2026-11-23",
	}
	p, err := j.Plan()
	if err != nil {
		t.Fatal(err)
	}
	got := p.Params()
	if strings.Contains(got.URL, "s3cr3t") {
		t.Fatalf("a secret reached the identity: %s", got.URL)
	}
	want := store.Params{
		URL:   "https://api.example/v1/{token}/items/{node}?from=2026-11-22&apikey=" + scrape.Redacted,
		Paths: []string{extract.DefaultPath}, Mode: "stream", Start: "2026-11-22", End: "2026-11-23",
		BatchSize: DefaultBatchSize, Bucket: "1h0m0s", Unit: "s", NodesSHA256: p.NodesSHA256(),
	}
	if got.URL != want.URL || !slices.Equal(got.Paths, want.Paths) || got.Mode != want.Mode || got.Start != want.Start ||
		got.End != want.End || got.BatchSize != want.BatchSize || got.Bucket != want.Bucket || got.Unit != want.Unit ||
		got.Shard != "" || got.NodesSHA256 != want.NodesSHA256 {
		t.Errorf("identity\n got %+v\nwant %+v", got, want)
	}
	if p.Fingerprint() != fingerprint(got) {
		t.Error("the plan's fingerprint is not the hash of its identity")
	}

	j.Options.Bucket, j.Options.Unit, j.Source = -1, extract.Milliseconds, "replay:/x"
	p2, _ := j.Plan()
	if q := p2.Params(); q.Bucket != "0s" || q.Unit != "ms" || q.URL != "replay:/x" {
		t.Errorf("no buckets, ms and a source: %+v", q)
	}
	if p2.Fingerprint() == p.Fingerprint() {
		t.Error("another identity, same fingerprint")
	}
}

// A job run twice resumes; the same folder with another window is refused.
func TestJobRunResumesAndRefuses(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	f := newFakeFetcher(func(string, int) attempt { return attempt{} })
	j := Job{Nodes: testNodes(10), Out: out, Fetcher: f, Source: "fake:", BatchSize: 4, Start: "a", Options: quietOptions(clock.NewFake(t0))}
	sum, err := j.Run(context.Background())
	if err != nil || sum.OK != 10 || sum.Committed != 3 || sum.DeadLetters != 0 {
		t.Fatalf("first run: %+v, %v", sum, err)
	}
	sum, err = j.Run(context.Background())
	if err != nil || sum.OK != 0 || sum.SkippedBatches != 3 {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	j.Start = "b"
	if _, err := j.Run(context.Background()); !errors.Is(err, store.ErrParamsMismatch) {
		t.Fatalf("other window on the same folder: %v, want ErrParamsMismatch", err)
	}
}

// Schedule picks the batches; Run commits those and no others.
func TestJobSchedule(t *testing.T) {
	for _, tt := range []struct {
		name    string
		batches []int
		wantErr bool
	}{
		{"two of three", []int{2, 0}, false},
		{"out of range", []int{1, 3}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			f := newFakeFetcher(func(string, int) attempt { return attempt{} })
			j := Job{Nodes: testNodes(10), Out: out, Fetcher: f, Source: "fake:", BatchSize: 4, Options: quietOptions(clock.NewFake(t0)),
				Schedule: func(*Plan) iter.Seq[int] { return slices.Values(tt.batches) }}
			_, err := j.Run(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			p, _ := j.Plan()
			var want []string
			for _, i := range tt.batches {
				if i < p.NumBatches() {
					want = append(want, p.Batch(i).Nodes...)
				}
			}
			got := f.fetchedNodes()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fetched %v, want %v", got, want)
			}
		})
	}
}

// A job that cannot run is refused as ErrInvalidJob before its folder is
// made.
func TestJobInvalid(t *testing.T) {
	for name, j := range map[string]Job{
		"batch size": {BatchSize: -1},
		"selector":   {Options: Options{Extract: extract.Options{Paths: []string{"data[["}}}},
		"client":     {Scrape: scrape.Options{URL: "https://x/{node}", Burst: -1}},
	} {
		out := filepath.Join(t.TempDir(), "run")
		j.Nodes, j.Out = []string{"AS1"}, out
		_, err := j.Run(context.Background())
		if !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%s: %v, want ErrInvalidJob", name, err)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%s: the folder was made", name)
		}
	}
}
