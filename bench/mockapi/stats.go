package mockapi

import (
	"maps"
	"sync"
)

// ClientStats is what one client (or all of them) got from the data
// endpoint.
type ClientStats struct {
	Requests  int64 `json:"requests"`   // data requests, refused ones included
	OK        int64 `json:"ok"`         // complete, correct bodies
	Status429 int64 `json:"status_429"` // refused by the rate or concurrency limit
	Status4xx int64 `json:"status_4xx"` // other client errors (400, 404, 405)
	Faults    int64 `json:"faults"`     // answers spoiled by a fault on purpose
	Aborted   int64 `json:"aborted"`    // bodies the client stopped reading
	Bytes     int64 `json:"bytes"`      // body bytes written to the connection (after compression), error answers included: a client that reads every answer to its end reads as many
	MaxOpen   int64 `json:"max_open"`   // most requests open at once
	// MaxInWindow is the most admitted requests in one rate-limit window.
	MaxInWindow int64 `json:"max_in_window"`
}

// Stats is a snapshot of what the server answered, per client (the
// sourceapp, else the remote IP) and in total, and how many faults of
// each kind it injected.
type Stats struct {
	Clients map[string]ClientStats `json:"clients"`
	Total   ClientStats            `json:"total"`
	Faults  map[Fault]int64        `json:"faults"`
	// Resources counts the well-formed data requests per resource (node),
	// so that a test can tell which nodes a run asked for, and how often.
	Resources map[string]int64 `json:"resources"`
}

// statsBook accumulates Stats; safe for concurrent use.
type statsBook struct {
	mu        sync.Mutex
	clients   map[string]*ClientStats
	faults    map[Fault]int64
	resources map[string]int64
}

func newStatsBook() *statsBook {
	return &statsBook{clients: make(map[string]*ClientStats), faults: make(map[Fault]int64), resources: make(map[string]int64)}
}

// resource counts a well-formed request for resource.
func (b *statsBook) resource(resource string) {
	b.mu.Lock()
	b.resources[resource]++
	b.mu.Unlock()
}

// update applies f to client's stats under the lock.
func (b *statsBook) update(client string, f func(*ClientStats)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.clients[client]
	if c == nil {
		c = new(ClientStats)
		b.clients[client] = c
	}
	f(c)
}

func (b *statsBook) fault(client string, f Fault) {
	b.mu.Lock()
	b.faults[f]++
	b.mu.Unlock()
	b.update(client, func(c *ClientStats) { c.Faults++ })
}

func (b *statsBook) snapshot() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{Clients: make(map[string]ClientStats, len(b.clients)), Faults: maps.Clone(b.faults), Resources: maps.Clone(b.resources)}
	for k, c := range b.clients {
		s.Clients[k] = *c
		t := &s.Total
		t.Requests += c.Requests
		t.OK += c.OK
		t.Status429 += c.Status429
		t.Status4xx += c.Status4xx
		t.Faults += c.Faults
		t.Aborted += c.Aborted
		t.Bytes += c.Bytes
		t.MaxOpen = max(t.MaxOpen, c.MaxOpen)
		t.MaxInWindow = max(t.MaxInWindow, c.MaxInWindow)
	}
	return s
}
