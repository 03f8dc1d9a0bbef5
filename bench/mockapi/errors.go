package mockapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// errStopped means the request or the server ended while an answer waited.
var errStopped = errors.New("mockapi: stopped")

// errorBody is RIPEstat's envelope for a failed call: the usual keys, an
// empty data object, and the reason in messages.
type errorBody struct {
	Messages       [][2]string     `json:"messages"`
	SeeAlso        []string        `json:"see_also"`
	Version        string          `json:"version"`
	DataCallName   string          `json:"data_call_name"`
	DataCallStatus string          `json:"data_call_status"`
	Cached         bool            `json:"cached"`
	Data           json.RawMessage `json:"data"`
	ProcessTime    int             `json:"process_time"`
	ServerID       string          `json:"server_id"`
	BuildVersion   string          `json:"build_version"`
	Status         string          `json:"status"`
	StatusCode     int             `json:"status_code"`
	Time           string          `json:"time"`
}

// writeError answers status with a JSON error body carrying msg.
func writeError(w http.ResponseWriter, now time.Time, status int, msg string) int64 {
	b, _ := json.Marshal(errorBody{
		Messages:       [][2]string{{"error", msg}},
		SeeAlso:        []string{},
		Version:        "1.1",
		DataCallName:   "bgp-updates",
		DataCallStatus: "supported - based on 1.1",
		Data:           json.RawMessage("{}"),
		ServerID:       "mock",
		BuildVersion:   "mockapi",
		Status:         "error",
		StatusCode:     status,
		Time:           now.UTC().Format("2006-01-02T15:04:05.000000"),
	})
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	n, _ := w.Write(b)
	return int64(n)
}

// Pages that proxies and broken backends send instead of JSON.
const (
	html502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	html200 = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>RIPEstat - Service temporarily unavailable</title></head>\n<body><h1>We'll be back soon</h1><p>RIPEstat is temporarily unavailable. Please try again later.</p></body></html>\n"
)

func writeHTML(w http.ResponseWriter, status int, page string) int64 {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	n, _ := w.Write([]byte(page))
	return int64(n)
}
