-- reval.lua: the revalidation workload. GETs spread at random over 20,000
-- resources /reval/ID that stay fresh for one second and carry an ETag
-- that never changes: a cache revalidates each ID about once a second
-- (a conditional request the backend answers 304), so at tens of
-- thousands of requests a second a large share of them are revalidations
-- and the rest hits. Requests are prebuilt per thread in init().
--   wrk -t1 -c64 -d5s -s bench/wrk/reval.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local IDS = 20000
local pool = {}

function init(args)
   for i = 1, IDS do
      pool[i] = wrk.format("GET", "/reval/" .. i)
   end
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
   return pool[math.random(1, IDS)]
end
