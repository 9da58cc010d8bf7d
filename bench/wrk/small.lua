-- small.lua: keep-alive GET /small (~100-byte body), whatever path the URL has.
--   wrk -t1 -c64 -d5s -s bench/wrk/small.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
wrk.path = "/small"
