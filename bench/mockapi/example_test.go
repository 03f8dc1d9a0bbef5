package mockapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
)

func Example() {
	inst, err := mockapi.Start(mockapi.Config{
		Seed:      1,
		Limit:     10, // per second per client
		Overrides: map[string]mockapi.Override{"AS3333": {Updates: 500}, "AS1": {Fault: mockapi.Fault503}},
	}, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer inst.Close()

	resp, err := http.Get(inst.URL + mockapi.DataPath + "?resource=AS3333&sourceapp=example")
	if err != nil {
		panic(err)
	}
	var body struct {
		Status string
		Data   struct{ Updates []json.RawMessage }
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"), body.Status, len(body.Data.Updates))

	// The same answer's ground truth, without generating the body.
	truth, _ := inst.Server.Truth("AS3333", time.Time{}, time.Time{})
	fmt.Println(truth.Count)

	resp, err = http.Get(inst.URL + mockapi.DataPath + "?resource=AS1&sourceapp=example")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After") != "")
	// Output:
	// 200 9 ok 500
	// 500
	// 503 true
}
