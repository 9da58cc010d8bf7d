-- report.lua: the summary line every bench script prints, and the script to
-- use alone for a plain GET of the URL given to wrk.
--
--   wrk -t1 -c64 -d5s -s bench/wrk/report.lua http://127.0.0.1:8000/small
--
-- At the end wrk calls done(); it prints one line the runner parses:
--   WRKRESULT rps=... requests=... duration_s=... p50_us=... p99_us=...
--             p999_us=... max_us=... mean_us=... bytes=... errors=... non2xx=...
-- (one line; latencies in microseconds; errors = connect+read+write+timeout).

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "WRKRESULT rps=%.2f requests=%d duration_s=%.3f p50_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.1f bytes=%d errors=%d non2xx=%d\n",
      summary.requests / secs, summary.requests, secs,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      latency.max, latency.mean, summary.bytes,
      e.connect + e.read + e.write + e.timeout, e.status))
end
