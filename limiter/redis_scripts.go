package limiter

import "github.com/redis/rueidis"

// The Redis scripts. Each is one atomic EVALSHA on one key (so they also run
// on a cluster). Times are microseconds; ARGV[1] is "now" or -1 to read the
// server's TIME; ARGV[2] is the leaky bucket's maxWait or -1. Each returns
// {allowed, remaining, reset, retry_after, delay}, durations in µs rounded
// up. The arithmetic mirrors algorithm.go step for step so both stores make
// the same decisions. Keys expire one second after they become idle.

const luaNow = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
`

// ARGV[3] = D (µs), ARGV[4] = quota. Hash {w = window index, c = count}.
var fixedScript = rueidis.NewLuaScript(luaNow + `
local D = tonumber(ARGV[3])
local Q = tonumber(ARGV[4])
local idx = math.floor(now / D)
local reset = math.ceil((idx + 1) * D - now)
local v = redis.call('HMGET', KEYS[1], 'w', 'c')
local c = 0
if v[1] and tonumber(v[1]) == idx then c = tonumber(v[2]) end
if c >= Q then return {0, 0, reset, reset, 0} end
c = c + 1
redis.call('HSET', KEYS[1], 'w', string.format('%.0f', idx), 'c', c)
redis.call('PEXPIRE', KEYS[1], math.ceil(reset / 1000) + 1000)
return {1, Q - c, reset, 0, 0}
`)

// ARGV[3] = D (µs), ARGV[4] = quota. Hash {w, p = previous count, c = count}.
var slidingScript = rueidis.NewLuaScript(luaNow + `
local D = tonumber(ARGV[3])
local Q = tonumber(ARGV[4])
local idx = math.floor(now / D)
local el = now - idx * D
local v = redis.call('HMGET', KEYS[1], 'w', 'p', 'c')
local w = tonumber(v[1])
local p, c = 0, 0
if w == idx then
  p = tonumber(v[2]); c = tonumber(v[3])
elseif w == idx - 1 then
  p = tonumber(v[3])
end
local weight = (D - el) / D
if p * weight + c + 1 > Q then
` + luaSlidingRefusal + `  return {0, 0, math.ceil(reset), math.ceil(retry), 0}
end
local rem = math.floor(Q - (p * weight + c + 1))
if rem < 0 then rem = 0 end
c = c + 1
redis.call('HSET', KEYS[1], 'w', string.format('%.0f', idx), 'p', p, 'c', c)
redis.call('PEXPIRE', KEYS[1], math.ceil((2 * D - el) / 1000) + 1000)
return {1, rem, math.ceil(2 * D - el), 0, 0}
`)

// ARGV[3] = T (µs), ARGV[4] = tau (µs), ARGV[5] = 1 for the leaky bucket.
// String key = TAT (µs).
var gcraScript = rueidis.NewLuaScript(luaNow + `
local maxWait = tonumber(ARGV[2])
local T = tonumber(ARGV[3])
local tau = tonumber(ARGV[4])
local leaky = ARGV[5] == '1'
local tauEff = tau
if leaky and maxWait >= 0 and T + maxWait < tau then tauEff = T + maxWait end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + T
local diff = nxt - now
if diff > tauEff then
  return {0, 0, math.ceil(tat - now), math.ceil(diff - tauEff), 0}
end
redis.call('SET', KEYS[1], string.format('%.17g', nxt), 'PX', math.ceil(diff / 1000) + 1000)
local delay = 0
if leaky then delay = math.ceil(tat - now) end
return {1, math.floor((tau - diff) / T), math.ceil(diff), 0, delay}
`)

// The lease scripts take up to ARGV[2] = want tokens at once for the Redis
// store's token leasing (redis_lease.go). ARGV[3] = tokens handed back (an
// expired lease's unused ones), ARGV[4] = the window they were taken in
// (sliding window only). Each returns {granted, remaining, reset,
// retry_after, valid, window}: valid is how long (µs, rounded down) the
// granted tokens may be spent, window the window index they count in.
// granted = 0 is a denial, with retry_after for a single request.

// Fixed window: grant = min(want, Q − count); the tokens count in this
// window and are valid until it ends. Same hash as fixedScript.
var fixedLeaseScript = rueidis.NewLuaScript(luaNow + `
local want = tonumber(ARGV[2])
local D = tonumber(ARGV[5])
local Q = tonumber(ARGV[6])
local idx = math.floor(now / D)
local reset = math.ceil((idx + 1) * D - now)
local valid = math.floor((idx + 1) * D - now)
local v = redis.call('HMGET', KEYS[1], 'w', 'c')
local c = 0
if v[1] and tonumber(v[1]) == idx then c = tonumber(v[2]) end
local g = Q - c
if g > want then g = want end
if g <= 0 then return {0, 0, reset, reset, valid, idx} end
c = c + g
redis.call('HSET', KEYS[1], 'w', string.format('%.0f', idx), 'c', c)
redis.call('PEXPIRE', KEYS[1], math.ceil(reset / 1000) + 1000)
return {g, Q - c, reset, 0, valid, idx}
`)

// Sliding window: grant the largest g ≤ want with est + g ≤ Q; the tokens
// count in the current window and are valid until it ends. Returned tokens
// are taken off the count of the window they were taken in (c while it is
// current, p once it is the previous one). Same hash as slidingScript.
var slidingLeaseScript = rueidis.NewLuaScript(luaNow + `
local want = tonumber(ARGV[2])
local ret = tonumber(ARGV[3])
local retW = tonumber(ARGV[4])
local D = tonumber(ARGV[5])
local Q = tonumber(ARGV[6])
local idx = math.floor(now / D)
local el = now - idx * D
local v = redis.call('HMGET', KEYS[1], 'w', 'p', 'c')
local w = tonumber(v[1])
local rp, rc = tonumber(v[2]) or 0, tonumber(v[3]) or 0
local dirty = false
if ret > 0 and w then
  if w == retW then rc = math.max(rc - ret, 0); dirty = true
  elseif w == retW + 1 then rp = math.max(rp - ret, 0); dirty = true end
end
local p, c = 0, 0
if w == idx then
  p = rp; c = rc
elseif w == idx - 1 then
  p = rc
end
local weight = (D - el) / D
local valid = math.floor(D - el)
local g = math.floor(Q - (p * weight + c))
if g > want then g = want end
if g <= 0 then
  if dirty then redis.call('HSET', KEYS[1], 'p', rp, 'c', rc) end
` + luaSlidingRefusal + `  return {0, 0, math.ceil(reset), math.ceil(retry), valid, idx}
end
c = c + g
local rem = math.floor(Q - (p * weight + c))
if rem < 0 then rem = 0 end
redis.call('HSET', KEYS[1], 'w', string.format('%.0f', idx), 'p', p, 'c', c)
redis.call('PEXPIRE', KEYS[1], math.ceil((2 * D - el) / 1000) + 1000)
return {g, rem, math.ceil(2 * D - el), 0, valid, idx}
`)

// Token bucket (GCRA): grant = min(want, floor((now + τ − tat)/T)) and
// tat += grant·T; returned tokens move tat back by T each. The lease is
// valid until the TAT before the grant (at most ARGV[7]), which keeps
// leasing exact: tokens held then are still covered by Redis's debit. ARGV[5] = T,
// ARGV[6] = τ, ARGV[7] = how long a lease is valid (µs). Same key as
// gcraScript.
var tokenLeaseScript = rueidis.NewLuaScript(luaNow + `
local want = tonumber(ARGV[2])
local ret = tonumber(ARGV[3])
local T = tonumber(ARGV[5])
local tau = tonumber(ARGV[6])
local valid = tonumber(ARGV[7])
local raw = tonumber(redis.call('GET', KEYS[1]) or '0')
local dirty = false
if ret > 0 and raw > now then raw = raw - ret * T; dirty = true end
local tat = raw
if tat < now then tat = now end
-- Held tokens stay valid only until the bucket, as Redis sees it, would
-- have refilled past them (the TAT before this grant): later, Redis's own
-- refill plus tokens still held could exceed the bucket. A lease shorter
-- than 2 ms would lapse unused: then grant the request alone.
if tat - now < valid then valid = math.floor(tat - now) end
if valid < 2000 and want > 1 then want = 1 end
local g = math.floor((now + tau - tat) / T)
if g > want then g = want end
if g <= 0 then
  if dirty then
    redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  end
  return {0, 0, math.ceil(tat - now), math.ceil(tat + T - tau - now), valid, 0}
end
tat = tat + g * T
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {g, math.floor((tau - (tat - now)) / T), math.ceil(tat - now), 0, valid, 0}
`)

// luaSlidingRefusal sets retry (µs until one more request would fit) and
// reset (µs until the window state is empty) for a refused sliding-window
// request, from p, c, el, D and Q; shared by the per-request and lease
// scripts.
const luaSlidingRefusal = `  local retry
  if c + 1 <= Q then
    retry = math.ceil(D - (Q - 1 - c) * D / p) - el
  else
    retry = (D - el) + math.ceil(D - (Q - 1) * D / c)
  end
  if retry < 1 then retry = 1 end
  local reset = 0
  if c > 0 then reset = 2 * D - el elseif p > 0 then reset = D - el end
`
