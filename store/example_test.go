package store_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicehq/sluice/store"
)

func ptr(v int64) *int64 { return &v }

// A run commits its batches one by one; a rerun on the same folder skips
// those that are done.
func Example() {
	dir, err := os.MkdirTemp("", "sluice-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	params := store.Params{URL: "http://127.0.0.1:8080/data.json?resource={node}", Paths: []string{"data.updates[*].timestamp"},
		Mode: "stream", BatchSize: 2, Bucket: "1h"}
	clock := func() time.Time { return time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) }

	run, err := store.Open(dir, params, store.OpenOptions{Now: clock})
	if err != nil {
		log.Fatal(err)
	}
	err = run.CommitBatch(0,
		[]store.Record{{Node: "AS3333", Count: 2, First: ptr(1662940800), Last: ptr(1662944400),
			Buckets: store.Buckets{{Start: "2022-09-12T00:00:00Z", Count: 1}, {Start: "2022-09-12T01:00:00Z", Count: 1}}, Mode: "stream"}},
		[]store.DeadLetter{{Node: "AS64500", Error: "HTTP 503", Status: 503, Attempts: 5}})
	if err != nil {
		log.Fatal(err)
	}
	if err := run.Close(); err != nil {
		log.Fatal(err)
	}

	// The next day's cron job, or the same job after a kill.
	run, err = store.Open(dir, params, store.OpenOptions{Now: clock})
	if err != nil {
		log.Fatal(err)
	}
	defer run.Close()
	fmt.Println("batch 0 done:", run.Completed(0))
	fmt.Println("batch 1 done:", run.Completed(1))
	dead, _ := run.DeadLetters()
	fmt.Println("dead letters:", len(dead), dead[0].Node, dead[0].Status)

	// --retry-dead: the node succeeds now and moves into a new batch file.
	err = run.CommitRetry([]store.Record{{Node: "AS64500", Mode: "stream"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	err = store.ReadRecords(dir, func(r store.Record) error {
		fmt.Println("record:", r.Node, r.Count)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// batch 0 done: true
	// batch 1 done: false
	// dead letters: 1 AS64500 503
	// record: AS3333 2
	// record: AS64500 0
}

func ExampleExport() {
	err := store.Export(os.Stdout, filepath.Join("testdata", "run"), store.ExportOptions{Format: "csv"})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// node,status,window_start,shard,count,invalid,first,last,bytes
	// 193.0.0.0/21,ok,2022-09-12T00:00:00Z,,1,1,1662940801,1662940900,310
	// 2001:db8::/32,ok,2022-09-12T00:00:00Z,,0,2,,,120
	// AS3333,ok,2022-09-12T00:00:00Z,,5,2,1662940805,1662941300,1070
	// AS13335,ok,2022-09-12T00:00:00Z,,12,0,1662940812,1662942000,2400
	// "AS""64500"",x",ok,2022-09-12T00:00:00Z,,2,2,1662940802,1662941000,500
	// AS64511,dead,2022-09-12T00:00:00Z,,,,,,
}

// With --dense every hour of the day is a row, zeros included; here the
// first node's first three.
func ExampleExport_dense() {
	var buf bytes.Buffer
	err := store.Export(&buf, filepath.Join("testdata", "run"), store.ExportOptions{Bucketed: true, Dense: true})
	if err != nil {
		log.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	fmt.Println(strings.Join(lines[:4], "\n"))
	// Output:
	// node,status,window_start,shard,bucket,count
	// 193.0.0.0/21,ok,2022-09-12T00:00:00Z,,2022-09-12T00:00:00Z,1
	// 193.0.0.0/21,ok,2022-09-12T00:00:00Z,,2022-09-12T01:00:00Z,0
	// 193.0.0.0/21,ok,2022-09-12T00:00:00Z,,2022-09-12T02:00:00Z,0
}
