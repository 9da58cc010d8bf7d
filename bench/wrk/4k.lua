-- 4k.lua: keep-alive GET /4k (4 KiB body), whatever path the URL has.
--   wrk -t1 -c64 -d5s -s bench/wrk/4k.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
wrk.path = "/4k"
