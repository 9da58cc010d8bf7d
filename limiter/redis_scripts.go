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
  local retry
  if c + 1 <= Q then
    retry = math.ceil(D - (Q - 1 - c) * D / p) - el
  else
    retry = (D - el) + math.ceil(D - (Q - 1) * D / c)
  end
  if retry < 1 then retry = 1 end
  local reset = 0
  if c > 0 then reset = 2 * D - el elseif p > 0 then reset = D - el end
  return {0, 0, math.ceil(reset), math.ceil(retry), 0}
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
