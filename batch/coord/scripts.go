package coord

import "github.com/redis/go-redis/v9"

// The queue's Lua scripts. Each runs atomically on the server; times come
// from the server's TIME, so that machines' clocks do not matter.

// unlock deletes a lock only if this process still holds it.
// KEYS[1] lock; ARGV[1] holder.
var unlock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// heartbeat renews this consumer's leases and records that it is alive.
// An entry now held by another consumer (taken over while this one was
// silent) is not claimed back: it is returned as lost. XCLAIM with JUSTID
// resets the idle time without raising the delivery count.
// KEYS[1] stream, KEYS[2] workers; ARGV[1] group, ARGV[2] consumer,
// ARGV[3] what the worker holds (for status), ARGV[4] lease (ms),
// ARGV[5…] entry IDs. A finalizer's lock (KEYS[3]) held by this consumer
// is renewed too.
var heartbeat = redis.NewScript(`
local t = redis.call('TIME')
local ms = t[1] * 1000 + math.floor(t[2] / 1000)
local lost = {}
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
for i = 5, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
redis.call('HSET', KEYS[2], ARGV[2], string.format('%d', ms) .. ' ' .. ARGV[3])
return lost`)

// ack acknowledges a batch's entry and, the first time the batch is
// done, sets its done bit and adds its counts to the run's. The ack that
// sets the last done bit elects its consumer to finalize the run: it takes
// the final lock for the run's lease time (the heartbeat renews it; a
// finalizer that dies lets it expire, and another process takes it
// over). It returns {first (0/1), batches done, batches in the run,
// elected (0/1)}.
// KEYS[1] stream, KEYS[2] done, KEYS[3] stats, KEYS[4] poison, KEYS[5] meta,
// KEYS[6] final; ARGV[1] group, ARGV[2] entry ID, ARGV[3] batch, ARGV[4]
// nodes ok, ARGV[5] nodes dead, ARGV[6] requests, ARGV[7] 429s, ARGV[8]
// poison (0/1), ARGV[9] consumer.
var ack = redis.NewScript(`
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
local first = redis.call('SETBIT', KEYS[2], ARGV[3], 1) == 0
if first then
  redis.call('HINCRBY', KEYS[3], 'batches', 1)
  redis.call('HINCRBY', KEYS[3], 'nodes_ok', ARGV[4])
  redis.call('HINCRBY', KEYS[3], 'nodes_dead', ARGV[5])
  if ARGV[8] == '1' then
    redis.call('HINCRBY', KEYS[3], 'quarantined', 1)
    redis.call('SADD', KEYS[4], ARGV[3])
  end
end
redis.call('HINCRBY', KEYS[3], 'requests', ARGV[6])
redis.call('HINCRBY', KEYS[3], 'status429', ARGV[7])
local done = redis.call('BITCOUNT', KEYS[2])
local total = tonumber(redis.call('HGET', KEYS[5], 'total'))
local elected = 0
if first and done >= total then
  local ms = tonumber(redis.call('HGET', KEYS[5], 'lease_ms')) or 30000
  if redis.call('SET', KEYS[6], ARGV[9], 'NX', 'PX', ms) then elected = 1 end
end
return {first and 1 or 0, done, total, elected}`)

// claimFinal asks to finalize a finished run. It returns 2 when the run
// is finalized already, 1 when this consumer holds the final lock (taken
// now, or elected by its ack; renewed), 0 when another live process
// holds it.
// KEYS[1] final, KEYS[2] meta; ARGV[1] consumer, ARGV[2] lease (ms).
var claimFinal = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'finalized') == '1' then return 2 end
local h = redis.call('GET', KEYS[1])
if h == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not h then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`)

// finalized marks the run finalized and drops this consumer's final lock.
// KEYS[1] final, KEYS[2] meta; ARGV[1] consumer.
var finalized = redis.NewScript(`
redis.call('HSET', KEYS[2], 'finalized', 1)
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`)
