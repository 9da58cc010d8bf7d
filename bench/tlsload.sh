#!/usr/bin/env bash
# bench/tlsload.sh — the TLS load generators of bench/run.sh --tls, each
# printing one WRKRESULT line like the wrk scripts (rps, requests, latency
# in µs, errors, non2xx), so the runner measures them like wrk:
#
#   tlsload.sh h2 URL CONNS SECS         h2load: HTTP/2 only (h2 the one ALPN offered),
#                                        CONNS connections, 10 streams each
#   tlsload.sh handshake HOST:PORT PATH SECS
#                                        openssl s_time -new: a full handshake and one
#                                        GET PATH per connection (rps = connections/s)
#   tlsload.sh resume HOST:PORT PATH SECS
#                                        openssl s_time -reuse: the same, resuming the
#                                        first connection's session each time
#
# h2load reports a mean request time, not percentiles: it goes in p50_us (p99
# and p99.9 stay 0); s_time reports no latency at all.
set -euo pipefail
mode=$1; shift
case $mode in
  h2)
    url=$1 conns=$2 secs=$3
    out=$(h2load --npn-list=h2 -c "$conns" -m 10 -D "$secs" --warm-up-time=1 "$url" 2>&1) || { echo "$out" >&2; exit 1; }
    awk '
      /^finished in/ { gsub(/,/, ""); rps = $4 }
      /^requests:/ { total = $2; done = $8; failed = $10; errored = $12; timeout = $14 }
      /^status codes:/ { non2xx = $5 + $7 + $9 }
      /^time for request:/ { mean = $6; u = mean; sub(/[0-9.]+/, "", u); v = mean + 0
        if (u == "ms") v *= 1000; else if (u == "s") v *= 1e6; mean_us = v }
      END {
        if (rps == "") { print "h2load printed no result" > "/dev/stderr"; exit 1 }
        printf "WRKRESULT rps=%s requests=%d p50_us=%.0f p99_us=0 p999_us=0 errors=%d non2xx=%d\n",
          rps, done, mean_us, failed + errored + timeout, non2xx }' <<<"$out" ;;
  handshake|resume)
    hostport=$1 path=$2 secs=$3 flag=-new
    [[ $mode == resume ]] && flag=-reuse
    out=$(openssl s_time -connect "$hostport" "$flag" -time "$secs" -www "$path" 2>&1) || { echo "$out" >&2; exit 1; }
    awk '/connections in [0-9.]+ real seconds/ { n = $1; t = $4 }
      END {
        if (t == "" || t + 0 <= 0) { print "s_time printed no result" > "/dev/stderr"; exit 1 }
        printf "WRKRESULT rps=%.2f requests=%d p50_us=0 p99_us=0 p999_us=0 errors=0 non2xx=0\n", n / t, n }' <<<"$out" ;;
  *) echo "tlsload.sh: unknown mode $mode (h2, handshake, resume)" >&2; exit 2 ;;
esac
