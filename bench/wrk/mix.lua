-- mix.lua: a realistic spread of requests over many paths, chosen at random
-- with fixed weights: user lookups over 10,000 ids, small and 4 KiB static
-- bodies, admin calls, small JSON POSTs, varied body sizes, 404s and header
-- echoes. Requests are prebuilt per thread in init(), so picking one costs
-- wrk almost nothing.
--   wrk -t1 -c64 -d5s -s bench/wrk/mix.lua http://127.0.0.1:8000
-- An argument after "--" sets how many user ids the lookups spread over
-- (default 10000): fewer ids, more of them cache hits.
--   wrk -t2 -c64 -d5s -s bench/wrk/mix.lua http://127.0.0.1:8000 -- 200
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local weights = {
   -- { weight, method, path or function(i) -> path, body }
   { 35, "GET", function(i) return "/api/users/" .. math.random(1, USER_IDS) end },
   { 20, "GET", "/small" },
   { 10, "GET", "/4k" },
   { 8, "GET", function(i) return "/bytes?n=" .. math.random(1, 32768) end },
   { 7, "POST", "/echo", '{"event":"click","id":12345,"tags":["a","b","c"]}' },
   { 5, "GET", function(i) return "/api/admin/stats?page=" .. math.random(1, 50) end },
   { 5, "GET", "/headers" },
   { 4, "GET", function(i) return "/static/missing/" .. i .. ".png" end },
   { 3, "GET", "/status/204" },
   { 3, "GET", "/healthz" },
}

local pool = {}
local POOL = 4096

function init(args)
   USER_IDS = tonumber(args[1]) or 10000
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
   local total = 0
   for _, w in ipairs(weights) do total = total + w[1] end
   for i = 1, POOL do
      local r = math.random(1, total)
      for _, w in ipairs(weights) do
         r = r - w[1]
         if r <= 0 then
            local path = w[3]
            if type(path) == "function" then path = path(i) end
            local headers = {}
            if w[4] then headers["Content-Type"] = "application/json" end
            pool[i] = wrk.format(w[2], path, headers, w[4])
            break
         end
      end
   end
end

function request()
   return pool[math.random(1, POOL)]
end
