package coord

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/scrape/budget"
)

// Status is a run's state as Redis holds it: what `sluice status` shows.
type Status struct {
	Run         string         `json:"run"`
	Batches     int            `json:"batches"`
	Done        int            `json:"done"`
	Finished    bool           `json:"finished"`  // every batch done
	Finalized   bool           `json:"finalized"` // the output folder's manifest is written
	NodesOK     int64          `json:"nodes_ok"`
	NodesDead   int64          `json:"nodes_dead"`
	Quarantined []int          `json:"quarantined,omitempty"`
	Requests    int64          `json:"requests"` // of the run's acked batches (approximate: client-wide counters)
	Status429   int64          `json:"status_429"`
	Budget      *budget.State  `json:"budget,omitempty"`
	Workers     []WorkerStatus `json:"workers"`
	Started     time.Time      `json:"started"`
	Now         time.Time      `json:"now"` // Redis's clock
	ETA         time.Duration  `json:"eta_ns,omitempty"`
}

// WorkerStatus is one worker as its last heartbeat left it.
type WorkerStatus struct {
	Name      string    `json:"name"`
	Heartbeat time.Time `json:"heartbeat"`
	Alive     bool      `json:"alive"` // heartbeat within two lease timeouts
	Holds     []int     `json:"holds"` // batches leased and not acked
}

// Runs lists the runs Redis holds.
func Runs(ctx context.Context, rdb redis.UniversalClient) ([]string, error) {
	var runs []string
	iter := rdb.Scan(ctx, 0, "sl:{*}:meta", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		runs = append(runs, strings.TrimSuffix(strings.TrimPrefix(k, "sl:{"), "}:meta"))
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("coord: list runs: %w", err)
	}
	slices.Sort(runs)
	return runs, nil
}

// ReadStatus reads run's status.
func ReadStatus(ctx context.Context, rdb redis.UniversalClient, run string) (Status, error) {
	k := keysOf(run)
	s := Status{Run: run}
	now, err := rdb.Time(ctx).Result()
	if err != nil {
		return s, fmt.Errorf("coord: status: %w", err)
	}
	s.Now = now
	var meta, stats, workers *redis.MapStringStringCmd
	var done *redis.IntCmd
	var poison *redis.StringSliceCmd
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		meta, stats, workers = p.HGetAll(ctx, k.meta), p.HGetAll(ctx, k.stats), p.HGetAll(ctx, k.workers)
		done, poison = p.BitCount(ctx, k.done, nil), p.SMembers(ctx, k.poison)
		return nil
	}); err != nil {
		return s, fmt.Errorf("coord: status of %s: %w", run, err)
	}
	m := meta.Val()
	if len(m) == 0 {
		return s, fmt.Errorf("coord: no run %q in redis", run)
	}
	num := func(h map[string]string, f string) int64 { v, _ := strconv.ParseInt(h[f], 10, 64); return v }
	s.Batches, s.Done = int(num(m, "total")), int(done.Val())
	s.Finished, s.Finalized = s.Done >= s.Batches, m["finalized"] == "1"
	s.Started = time.UnixMilli(num(m, "started"))
	st := stats.Val()
	s.NodesOK, s.NodesDead = num(st, "nodes_ok"), num(st, "nodes_dead")
	s.Requests, s.Status429 = num(st, "requests"), num(st, "status429")
	for _, p := range poison.Val() {
		if b, err := strconv.Atoi(p); err == nil {
			s.Quarantined = append(s.Quarantined, b)
		}
	}
	slices.Sort(s.Quarantined)
	lease := time.Duration(num(m, "lease_ms")) * time.Millisecond
	for name, v := range workers.Val() {
		ms, holds, _ := strings.Cut(v, " ")
		beat, _ := strconv.ParseInt(ms, 10, 64)
		w := WorkerStatus{Name: name, Heartbeat: time.UnixMilli(beat)}
		w.Alive = now.Sub(w.Heartbeat) < 2*lease
		for _, h := range strings.Split(holds, ",") {
			if b, err := strconv.Atoi(h); err == nil {
				w.Holds = append(w.Holds, b)
			}
		}
		s.Workers = append(s.Workers, w)
	}
	slices.SortFunc(s.Workers, func(a, b WorkerStatus) int { return strings.Compare(a.Name, b.Name) })
	if name := m["budget"]; name != "" {
		b, err := budget.ReadState(ctx, rdb, name)
		if err != nil {
			return s, err
		}
		s.Budget = &b
	}
	if el := now.Sub(s.Started); s.Done > 0 && !s.Finished && el > 0 {
		s.ETA = time.Duration(float64(el) / float64(s.Done) * float64(s.Batches-s.Done))
	}
	return s, nil
}

// String is the status as a few lines for people.
func (s Status) String() string {
	var b strings.Builder
	state := "running"
	switch {
	case s.Finalized:
		state = "finished, finalized"
	case s.Finished:
		state = "finished, merging"
	}
	fmt.Fprintf(&b, "run %s: %s\n", s.Run, state)
	pct := 0.0
	if s.Batches > 0 {
		pct = 100 * float64(s.Done) / float64(s.Batches)
	}
	fmt.Fprintf(&b, "batches  %d of %d done (%.1f%%)", s.Done, s.Batches, pct)
	if s.ETA > 0 {
		fmt.Fprintf(&b, ", ETA %v", s.ETA.Round(time.Second))
	}
	fmt.Fprintf(&b, "\nnodes    %d ok, %d dead", s.NodesOK, s.NodesDead)
	if len(s.Quarantined) > 0 {
		fmt.Fprintf(&b, " (quarantined batches %v)", s.Quarantined)
	}
	fmt.Fprintf(&b, "\nrequests %d, %d of them 429\n", s.Requests, s.Status429)
	if bs := s.Budget; bs != nil {
		fmt.Fprintf(&b, "budget   %s: %s", bs.Name, rateText(bs.Rate))
		if bs.Ceiling > 0 && bs.Rate < bs.Ceiling {
			fmt.Fprintf(&b, " (cut from %s by 429s)", rateText(bs.Ceiling))
		}
		if !bs.GateUntil.IsZero() {
			fmt.Fprintf(&b, ", closed for %v more", bs.GateUntil.Sub(s.Now).Round(time.Millisecond))
		}
		b.WriteString("\n")
	}
	alive := 0
	for _, w := range s.Workers {
		if w.Alive {
			alive++
		}
	}
	fmt.Fprintf(&b, "workers  %d alive of %d seen\n", alive, len(s.Workers))
	for _, w := range s.Workers {
		mark := "alive"
		if !w.Alive {
			mark = "silent"
		}
		fmt.Fprintf(&b, "  %-40s %-6s last heartbeat %v ago, holds %v\n", w.Name, mark, s.Now.Sub(w.Heartbeat).Round(time.Millisecond), w.Holds)
	}
	return b.String()
}

func rateText(r float64) string {
	if r <= 0 {
		return "no limit"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "/s"
}
