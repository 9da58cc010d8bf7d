-- jwt.lua: keep-alive GET /small with one fixed valid bearer token (HS256,
-- sub "bench-user", iss "premier-bench", exp 2100-01-01) for
-- bench/configs/jwt.yaml; targets without auth ignore the header.
--   wrk -t1 -c64 -d5s -s bench/wrk/jwt.lua http://127.0.0.1:8000
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
wrk.path = "/small"
wrk.headers["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsImlzcyI6InByZW1pZXItYmVuY2giLCJzdWIiOiJiZW5jaC11c2VyIn0.i-Lq_R1i01BeuyaPjUasvu4BeCkI-1wY4HHDScCydm8"
