-- close.lua: one new TCP connection per request (`Connection: close`):
-- measures accept + handshake + first request, the cost keep-alive hides.
--   wrk -t1 -c64 -d5s -s bench/wrk/close.lua http://127.0.0.1:8000/small
-- The URL's path is kept (default /small when the URL has none).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
if wrk.path == "/" or wrk.path == "" then wrk.path = "/small" end
wrk.headers["Connection"] = "close"
