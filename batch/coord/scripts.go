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
// ARGV[3] what the worker holds (for status), ARGV[4…] entry IDs.
var heartbeat = redis.NewScript(`
local t = redis.call('TIME')
local ms = t[1] * 1000 + math.floor(t[2] / 1000)
local lost = {}
for i = 4, #ARGV do
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
// done, sets its done bit and adds its counts to the run's. It returns
// {first (0/1), batches done, batches in the run}.
// KEYS[1] stream, KEYS[2] done, KEYS[3] stats, KEYS[4] poison, KEYS[5] meta;
// ARGV[1] group, ARGV[2] entry ID, ARGV[3] batch, ARGV[4] nodes ok,
// ARGV[5] nodes dead, ARGV[6] requests, ARGV[7] 429s, ARGV[8] poison (0/1).
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
return {first and 1 or 0, redis.call('BITCOUNT', KEYS[2]), tonumber(redis.call('HGET', KEYS[5], 'total'))}`)
