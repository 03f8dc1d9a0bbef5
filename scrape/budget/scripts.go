package budget

import "github.com/redis/go-redis/v9"

// aimdLua computes the budget's current rate (requests per second; 0: no
// limit) from the hash fields read into h, at now (µs). It mirrors
// scrape's local AIMD: after a cut to `cut` at `cutat`, the rate grows by
// 5 % of cut per second, up to the ceiling.
const aimdLua = `
local function rateAt(h, now, ceiling)
  local cut, cutat = tonumber(h[3]), tonumber(h[4])
  if not cut then return ceiling end
  local r = cut
  if now > cutat then r = cut + cut * 0.05 * (now - cutat) / 1e6 end
  if ceiling > 0 and r >= ceiling then return ceiling end
  return r
end
local function meter(key, now)
  local sec = math.floor(now / 1e6)
  local m = redis.call('HMGET', key, 'mstart', 'mcount')
  local ms, mc = tonumber(m[1]), tonumber(m[2]) or 0
  if ms ~= sec then
    local prev = 0
    if ms == sec - 1 then prev = mc end
    redis.call('HSET', key, 'mstart', sec, 'mcount', 1, 'mprev', prev)
  else
    redis.call('HINCRBY', key, 'mcount', 1)
  end
end
`

// reserve takes one request's turn. It returns {wait µs, slot µs (the
// Redis instant the request may go), rate in milli-requests per second
// (0: no limit), seq, spent}. seq is the request's number in the budget's
// sequence (its requests counter, every process's requests). spent is 1
// when the server's known quota (quotaLua) has no room for a request at
// that slot: then nothing is reserved, seq is 0, and the caller waits
// `wait` (until the window resets; at most quotaPoll on a guessed
// window) and asks again.
// KEYS[1] budget; ARGV[1] ceiling (requests/s, 0: none), ARGV[2] burst,
// ARGV[3] key lifetime (ms).
var reserve = redis.NewScript(aimdLua + `
local t = redis.call('TIME')
local now = t[1] * 1e6 + t[2]
local ceiling, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tat', 'gate', 'cut', 'cutat')
local gate = tonumber(h[2]) or 0
local r = rateAt(h, now, ceiling)
local slot = math.max(now, gate)
local T, tat = 0, tonumber(h[1]) or 0
if r > 0 then
  T = 1e6 / r
  slot = math.max(slot, tat - (burst - 1) * T)
end
local q = redis.call('HMGET', KEYS[1], 'qseq', 'qrem', 'qreset', 'qguess', 'qlimit', 'qspan', 'requests')
local qreset = tonumber(q[3]) or 0
local nextseq = (tonumber(q[7]) or 0) + 1
local qlimit, qspan = tonumber(q[5]) or 0, tonumber(q[6]) or 0
if qreset > 0 and qreset <= slot and qlimit > 0 and qspan > 0 then
  -- The window ended before an answer told the next one's quota: guess
  -- it is the limit again, until the next reset.
  qreset = qreset + (math.floor((slot - qreset) / qspan) + 1) * qspan
  q[1], q[2], q[4] = nextseq - 1, qlimit, '1'
  redis.call('HSET', KEYS[1], 'qseq', q[1], 'qrem', q[2], 'qreset', string.format('%.0f', qreset), 'qguess', 1)
end
if qreset > slot and nextseq - (tonumber(q[1]) or 0) - 1 >= (tonumber(q[2]) or 0) then
  local w = qreset - now
  if q[4] == '1' then w = math.min(w, ` + quotaPollUS + `) end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {string.format('%.0f', w), string.format('%.0f', qreset), string.format('%.0f', r * 1000), '0', '1'}
end
if r > 0 then
  redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', math.max(tat, slot) + T))
end
local seq = redis.call('HINCRBY', KEYS[1], 'requests', 1)
redis.call('HSET', KEYS[1], 'ceiling', ARGV[1])
meter(KEYS[1], now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {string.format('%.0f', slot - now), string.format('%.0f', slot), string.format('%.0f', r * 1000), tostring(seq), '0'}`)

// quotaPollUS bounds, in µs, a wait on a guessed quota: an answer may
// replace the guess sooner (scrape's quotaPoll).
const quotaPollUS = "20000"

// quotaTolUS is how far apart, in µs, two views of one window's reset
// may be: each process converts the server's reset to Redis's clock
// through its own (the time left, read before the call), and the
// conversions differ by the call's latency, which a loaded machine
// stretches to tens or hundreds of ms, and the machines' clock error.
// Resets come in whole seconds (X-RateLimit-Reset, RateLimit-Reset), so
// two windows' resets are at least a second apart: half of that tells a
// late answer from a new window. Once the window's length is known, half
// of it does (quota). At 50 ms, an answer noted 60 ms late looked like a
// new window: it replaced the window's tighter quota with its own looser
// one and taught the budget a 60 ms window, whose guessed fresh quotas
// then let every process spend the limit again and again (the 429s of
// TestCoordSharesTheServersQuota on a loaded machine).
const quotaTolUS = "500000"

// quota records what the answer to request ARGV[1] of the budget's
// sequence said of the server's window (X-RateLimit-* or RateLimit): the
// requests remaining after it and when the window resets. It mirrors
// scrape's local quota (limits.go): requests reserved after that one spend
// what remains, whichever process sends them. A later window replaces the
// quota, and so does any answer after a guess. Within a window, an answer
// replaces the quota only if it leaves less room (rem + seq below the
// quota's): requests reserved before seq but reaching the server after it
// (workers race, on several machines) are not in its remaining, and an
// earlier answer still counts them. So the room is the least that any
// answer of the window allows, and an old answer arriving late changes
// nothing unless it is tighter.
// KEYS[1] budget; ARGV[1] seq, ARGV[2] remaining, ARGV[3] reset (µs from
// now), ARGV[4] limit (0: unknown), ARGV[5] window length (µs, 0:
// unknown), ARGV[6] key lifetime (ms).
var quota = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1e6 + t[2]
local seq, rem = tonumber(ARGV[1]), tonumber(ARGV[2])
local reset = now + tonumber(ARGV[3])
local limit, span = tonumber(ARGV[4]), tonumber(ARGV[5])
local q = redis.call('HMGET', KEYS[1], 'qseq', 'qreset', 'qguess', 'qspan', 'qrem')
local qseq, qreset, guess, qspan = tonumber(q[1]) or 0, tonumber(q[2]) or 0, q[3] == '1', tonumber(q[4]) or 0
local qrem = tonumber(q[5]) or 0
if limit > 0 then redis.call('HSET', KEYS[1], 'qlimit', limit) end
if span > 0 then
  qspan = span
  redis.call('HSET', KEYS[1], 'qspan', span)
end
local tol = math.max(` + quotaTolUS + `, qspan / 2)
local newWindow = reset > qreset + tol
if newWindow and qreset > 0 and not guess then
  local gap = reset - qreset
  if qspan == 0 or gap < qspan then redis.call('HSET', KEYS[1], 'qspan', string.format('%.0f', gap)) end
end
if newWindow or (guess and seq > qseq) then
  redis.call('HSET', KEYS[1], 'qseq', seq, 'qrem', rem, 'qreset', string.format('%.0f', reset), 'qguess', 0)
elseif math.abs(reset - qreset) <= tol and rem + seq < qrem + qseq then
  redis.call('HSET', KEYS[1], 'qseq', seq, 'qrem', rem)
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`)

// throttle records a 429 (or a client-wide delay) for a request sent
// ARGV[2] µs ago: it closes the gate for ARGV[1] µs (0: the server said
// nothing) and, unless the request was sent before the last cut's epoch
// (it was in flight then, and says nothing about the new rate), cuts the
// rate to 85 %. It returns the new rate in milli-requests per second.
// KEYS[1] budget; ARGV[1] delay µs, ARGV[2] age µs, ARGV[3] ceiling,
// ARGV[4] 1 if the answer was a 429 (a spent quota's reset closes the
// gate but does not cut), ARGV[5] key lifetime (ms).
var throttle = redis.NewScript(aimdLua + `
local t = redis.call('TIME')
local now = t[1] * 1e6 + t[2]
local delay, age, ceiling = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'tat', 'gate', 'cut', 'cutat', 'epoch', 'mprev', 'mcount')
local gate = tonumber(h[2]) or 0
if delay > 0 and now + delay > gate then
  gate = now + delay
  redis.call('HSET', KEYS[1], 'gate', string.format('%.0f', gate))
end
local r = rateAt(h, now, ceiling)
if ARGV[4] == '1' then
  redis.call('HINCRBY', KEYS[1], 'status429', 1)
  local sent = now - age
  if sent >= (tonumber(h[5]) or 0) then
    local base = r
    if base <= 0 then base = math.max(tonumber(h[6]) or 0, tonumber(h[7]) or 0, 1) end
    r = math.max(0.05, base * 0.85)
    if ceiling > 0 then r = math.min(r, ceiling) end
    local from = math.max(gate, now)
    if delay <= 0 then from = now + 1e6 end
    redis.call('HSET', KEYS[1], 'cut', tostring(r), 'cutat', string.format('%.0f', from),
      'epoch', string.format('%.0f', from))
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return string.format('%.0f', r * 1000)`)
