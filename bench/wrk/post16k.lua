-- post16k.lua: keep-alive POST of a 16 KiB body to /echo?mode=raw; the
-- backend sends the same 16 KiB back, so the body crosses the proxy twice.
--   wrk -t1 -c64 -d5s -s bench/wrk/post16k.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local chunk = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_\n"
wrk.method = "POST"
wrk.path = "/echo?mode=raw"
wrk.body = string.rep(chunk, 16384 / #chunk)
wrk.headers["Content-Type"] = "application/octet-stream"
