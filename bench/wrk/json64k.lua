-- json64k.lua: keep-alive GET /json64k (a 64 KiB JSON document) with
-- Accept-Encoding: gzip, whatever path the URL has: the compression
-- workload (Premier's compression vs nginx's gzip at the same level).
--   wrk -t1 -c64 -d5s -s bench/wrk/json64k.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
wrk.path = "/json64k"
wrk.headers["Accept-Encoding"] = "gzip"
