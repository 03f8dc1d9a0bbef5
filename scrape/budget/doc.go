// Package budget is one request budget shared by every process that uses
// it, on any machine: GCRA (the generic cell rate algorithm) in a Lua
// script on Redis, with Redis's own clock, so that machines' clocks do
// not matter.
//
// Each request takes one reservation (Reserve, or Take): the script moves the
// budget's theoretical arrival time on and answers how long this request
// must wait; the caller sleeps that long and sends. Nobody polls: the
// issue's measurement of redis_rate-style Allow-and-sleep (4 processes × 8
// workers, 20/s) admitted 185 of 200 possible requests with 32 Redis
// calls per request; one reservation per request admits the budget
// exactly with one call.
//
// What servers say lives in the budget too, so that a 429 seen by one
// process slows all of them: the client-wide gate (Retry-After, a spent
// X-RateLimit quota's reset) holds every reservation back until it opens;
// the server's announced quota (NoteQuota: the requests remaining in its
// window after a given request of the budget's sequence, and the reset)
// is spent by every process's reservations together, so that N
// processes do not each spend one window (a reservation past it answers
// Spent, with the wait until the reset);
// and the adaptive rate (AIMD: cut to 85 % on a 429, then 5 % of the cut
// rate back per second, up to the configured ceiling) is a function of
// the last cut and Redis's clock, computed by the reserving script: a
// success costs no extra round trip.
//
// # Key
//
//	sl:budget:{NAME}  hash: tat, gate, cut, cutat, epoch (µs, Redis clock),
//	                  requests (counter, and the sequence of reservations),
//	                  status429, mstart, mcount, mprev (send-rate meter for
//	                  a budget without a ceiling), qseq, qrem, qreset (µs),
//	                  qguess, qlimit, qspan (µs) (the server's quota)
//
// The budget is named, not tied to a run: two days' runs against one API
// key share one budget.
package budget
