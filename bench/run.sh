#!/usr/bin/env bash
# bench/run.sh — Premier side by side with nginx (and HAProxy) on one machine.
#
# Builds premier and the bench backend, starts the backend, one gateway per
# selected bench/configs/*.yaml, nginx and HAProxy (own configs, own ports,
# never the system services), then runs wrk against every target, the
# targets interleaved over several rounds (order rotating each round). Load
# generator pinned to one CPU, every server to another. Prints a markdown table
# per path: median req/s, latency p50/p99/p99.9, proxy CPU per request, peak
# RSS, and the ratio to nginx measured in the same rounds.
#
# Usage: bench/run.sh [options]            (from anywhere; `make bench` calls it)
#   --rounds N          interleaved rounds (default 3)
#   --duration S        seconds per wrk run (default 5)
#   --connections C     wrk connections (default 64)
#   --threads T         wrk threads (default 1: wrk has one CPU)
#   --targets "T ..."   any of: direct nginx nginx-cache haproxy premier premier:CONFIG premier:all
#                       (nginx-cache = nginx with proxy_cache in front of the backend)
#                       (premier = premier:passthrough; CONFIG = a bench/configs
#                       file name without .yaml; premier:CONFIG+dash = the same
#                       with a dashboard live stream (GET /__premier/api/stream,
#                       curl -N) consuming for the whole run). Default:
#                       "nginx haproxy premier" (haproxy only when installed).
#   --paths "P ..."     URL paths (/small) or scenarios from bench/wrk/NAME.lua
#                       (small 4k post16k mix close), or ws: WebSocket echo
#                       round trips on /ws/echo with bench/wsbench echo (64-byte messages,
#                       one in flight per connection). Default: "/small /4k"
#   --max-other P       a run during which other processes used more than P% of
#                       the machine's CPU is redone once, then kept but marked
#                       noisy and left out of the medians when clean runs exist
#                       (default 15; 0 disables)
#   --quiet-wait S      before each run, wait up to S seconds for the machine to
#                       be quiet (other processes below --max-other) (default 30)
#   --source tree|head  build premier from the working tree (default) or from the
#                       committed HEAD (git archive into the work directory:
#                       reproducible, ignores uncommitted edits)
#   --append            also append the table to bench/RESULTS.md
#   --keep              keep the work directory (configs, logs, raw runs)
#   -h, --help
# Environment: PREMIER_BIN (use this premier binary instead of building), LOAD_CPU (default 0), SERVER_CPU (default 1), BASE_PORT
# (default 19000: backend, +1 nginx, +2 haproxy, +10.. premier configs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

ROUNDS=3 DURATION=5 CONNS=64 THREADS=1 MAX_OTHER=15 QUIET_WAIT=30 APPEND=0 KEEP=0
TARGETS="" PATHS="/small /4k" SOURCE=tree
LOAD_CPU=${LOAD_CPU:-0} SERVER_CPU=${SERVER_CPU:-1} BASE_PORT=${BASE_PORT:-19000}
CMDLINE="bench/run.sh $*"

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "# $*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --targets) TARGETS=$2; shift ;;
    --paths) PATHS=$2; shift ;;
    --max-other) MAX_OTHER=$2; shift ;;
    --quiet-wait) QUIET_WAIT=$2; shift ;;
    --source) SOURCE=$2; shift ;;
    --append) APPEND=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift
done
for v in ROUNDS DURATION CONNS THREADS MAX_OTHER QUIET_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v,,} must be a number"
done
(( ROUNDS >= 1 && DURATION >= 1 && DURATION <= 120 && CONNS >= THREADS && THREADS >= 1 )) \
  || die "need rounds >= 1, 1 <= duration <= 120, connections >= threads >= 1"
(( $(nproc) >= 2 )) || die "needs at least 2 CPUs (load generator and servers on separate cores)"
[[ $LOAD_CPU != "$SERVER_CPU" ]] || die "LOAD_CPU and SERVER_CPU must differ"
[[ $SOURCE == tree || $SOURCE == head ]] || die "--source tree|head"

# --------------------------------------------------------------- tools
ensure_tool() {  # command package: install with apt-get when missing and possible
  command -v "$1" >/dev/null && return 0
  if [[ $EUID == 0 ]] && command -v apt-get >/dev/null; then
    say "installing $2 (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || true
  fi
  command -v "$1" >/dev/null
}
for t in go curl taskset setsid ss; do command -v $t >/dev/null || die "missing $t"; done
ensure_tool wrk wrk || die "missing wrk (apt-get install wrk)"

if [[ -z $TARGETS ]]; then
  TARGETS="nginx premier"
  ensure_tool haproxy haproxy && TARGETS="nginx haproxy premier"
fi
declare -a TL=()
for t in $TARGETS; do
  case $t in
    premier) TL+=(premier:passthrough) ;;
    premier:all) for f in "$BENCH"/configs/*.yaml; do n=${f##*/}; TL+=("premier:${n%.yaml}"); done ;;
    premier:*) c=${t#premier:}; c=${c%+dash}
               [[ -f $BENCH/configs/$c.yaml ]] || die "no bench/configs/$c.yaml"; TL+=("$t") ;;
    nginx|haproxy) ensure_tool "$t" "$t" || die "missing $t (apt-get install $t) — or drop it from --targets"; TL+=("$t") ;;
    nginx-cache) ensure_tool nginx nginx || die "missing nginx (apt-get install nginx)"; TL+=("$t") ;;
    direct) TL+=(direct) ;;
    *) die "unknown target $t" ;;
  esac
done
# nginx, the reference, goes first (the summary's ratios rely on it)
if [[ " ${TL[*]} " == *" nginx "* ]]; then
  declare -a rest=()
  for t in "${TL[@]}"; do [[ $t == nginx ]] || rest+=("$t"); done
  TL=(nginx "${rest[@]}")
fi
for p in $PATHS; do
  [[ $p == /* || $p == ws || -f $BENCH/wrk/$p.lua ]] || die "path $p: neither /URL-path, ws, nor bench/wrk/$p.lua"
done

# servers need file descriptors for connections on both sides
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n); [[ $NOFILE == unlimited ]] && NOFILE=65536
MAXCONN=$(( NOFILE / 2 - 100 < 16384 ? NOFILE / 2 - 100 : 16384 ))

# ------------------------------------------------------- work directory
WORK=$(mktemp -d /tmp/premier-bench.XXXXXX)
RAW=$WORK/runs.tsv; : >"$RAW"
declare -A PORT=() PID=()
declare -a STARTED=()

# Every server runs in its own session (setsid), so its whole process tree
# (nginx master + worker) is one process group we can measure and stop.
stop_all() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for _ in $(seq 20); do
    local alive=0
    for p in "${STARTED[@]}"; do kill -0 -- "-$p" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.2
  done
  for p in "${STARTED[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null || true; done
  STARTED=()
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_all
  if (( KEEP )); then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------- measurement
CLK_TCK=$(getconf CLK_TCK)
group_pids() { ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'; }
group_ticks() {  # pgid -> utime+stime (clock ticks) summed over the group
  local p sum=0 rest
  for p in $(group_pids "$1"); do
    rest=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
    sum=$(( sum + $(awk '{ print $12 + $13 }' <<<"$rest") ))
  done
  echo "$sum"
}
group_hwm_kib() {  # pgid -> VmHWM summed over the group (KiB)
  local p sum=0 v
  for p in $(group_pids "$1"); do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
# whole-machine CPU counters: "busy total" in ticks (busy = user nice system irq softirq;
# softirq counts because the kernel charges network softirq work to tasks' stime too)
machine_cpu() { awk '$1 == "cpu" { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }

# ------------------------------------------------------------ start-up
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

start() {  # name log cmd... — start pinned to SERVER_CPU in a new session
  local name=$1 log=$2; shift 2
  port_free "${PORT[$name]}" || die "port ${PORT[$name]} ($name) is in use; set BASE_PORT"
  GOMAXPROCS=1 taskset -c "$SERVER_CPU" setsid "$@" >"$log" 2>&1 &
  PID[$name]=$!
  STARTED+=("$!")
  local i
  for i in $(seq 100); do
    curl -fs -o /dev/null -m 1 "http://127.0.0.1:${PORT[$name]}/healthz" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -20 "$log" >&2; die "$name exited during start-up (log above)"; }
    sleep 0.1
  done
  tail -20 "$log" >&2
  die "$name not answering /healthz on port ${PORT[$name]} after 10 s"
}

write_nginx_conf() {  # [name]: nginx (plain proxy) or nginx-cache (proxy_cache in front)
  local name=${1:-nginx} dir=$WORK/${1:-nginx} cache_path="" cache_use=""
  mkdir -p "$dir/tmp"
  local user=""; [[ $EUID == 0 ]] && user="user root;"
  if [[ $name == nginx-cache ]]; then
    cache_path="proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;"
    cache_use="proxy_cache bench; proxy_cache_valid 200 5m; add_header X-Cache \$upstream_cache_status;"
  fi
  cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh: one worker, keep-alive upstream pool, no access log
worker_processes 1;
$user
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $MAXCONN; }
http {
    access_log off;
    tcp_nodelay on;
    keepalive_timeout 60s;
    keepalive_requests 100000;
    client_max_body_size 100m;
    client_body_buffer_size 64k;   # keep bench bodies in memory (default 16k spills to temp files)
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    $cache_path
    map \$http_upgrade \$conn_header { default upgrade; '' ''; }
    upstream app {
        server 127.0.0.1:${PORT[backend]};
        keepalive 256;
        keepalive_requests 100000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:${PORT[$name]} backlog=4096;
        location / {
            $cache_use
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Host \$host;
            proxy_set_header Connection \$conn_header;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
EOF
}

write_haproxy_conf() {
  cat >"$WORK/haproxy.cfg" <<EOF
# generated by bench/run.sh: one thread, keep-alive to the backend, connection reuse
global
    nbthread 1
    maxconn $MAXCONN
defaults
    mode http
    option http-keep-alive
    option forwardfor
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    timeout tunnel 1h
frontend fe
    bind 127.0.0.1:${PORT[haproxy]}
    default_backend app
backend app
    server s1 127.0.0.1:${PORT[backend]}
EOF
}

start_target() {
  local t=$1
  case $t in
    direct) ;;  # the backend itself
    nginx|nginx-cache)
      write_nginx_conf "$t"
      start "$t" "$WORK/$t.log" nginx -p "$WORK/$t" -c "$WORK/$t/nginx.conf" -g 'daemon off;'
      ;;
    haproxy)
      write_haproxy_conf
      start haproxy "$WORK/haproxy.log" haproxy -db -f "$WORK/haproxy.cfg"
      ;;
    premier:*)
      local name=${t#premier:} cfg=${t#premier:}
      cfg=${cfg%+dash}
      sed "s#127\.0\.0\.1:9001#127.0.0.1:${PORT[backend]}#g" "$BENCH/configs/$cfg.yaml" >"$WORK/$name.yaml"
      start "$t" "$WORK/$name.log" "$WORK/premier" -config "$WORK/$name.yaml" -listen "127.0.0.1:${PORT[$t]}"
      if [[ $t == *+dash ]]; then
        # the dashboard open and streaming for the whole run (loopback: no
        # token needed; reconnecting when the server ends a stream after its
        # lifetime, as the browser does); its own session, so stop_all ends
        # it with the rest
        setsid bash -c 'while :; do curl -sN "$1"; sleep 0.5; done' sse \
          "http://127.0.0.1:${PORT[$t]}/__premier/api/stream" >"$WORK/$name.sse" 2>&1 &
        STARTED+=("$!")
        sleep 1.5
        [[ -s $WORK/$name.sse ]] || die "$t: no dashboard stream from /__premier/api/stream"
      fi
      ;;
  esac
}

# ----------------------------------------------------------------- runs
load_cmd() {  # target path seconds -> LOAD array: the load generator's command line
  local base="127.0.0.1:${PORT[$1]}"
  case $2 in
    /*) LOAD=(wrk -t"$THREADS" -c"$CONNS" -d"${3}s" --timeout 2s -s "$BENCH/wrk/report.lua" "http://$base$2") ;;
    ws) LOAD=("$WORK/wsbench" echo -url "ws://$base/ws/echo" -c "$CONNS" -n 1000000000 -size 64 -d "${3}s") ;;
    *)  LOAD=(wrk -t"$THREADS" -c"$CONNS" -d"${3}s" --timeout 2s -s "$BENCH/wrk/$2.lua" "http://$base/") ;;
  esac
}

# The load generator runs under a tiny shell that reports, after reaping it,
# its own children's CPU (cutime+cstime from /proc/self/stat): that is the
# load generator's CPU time, needed to tell our load from other tenants'.
# shellcheck disable=SC2016  # expanded by the inner shell
WRAP='"$@"; rc=$?; s=$(cut -d")" -f2- /proc/$$/stat); set -- $s; echo "LOADCPU $(( ${14} + ${15} ))"; exit $rc'

measure() {  # round path target seconds -> appends a row to RAW (unless round 0 = warm-up)
  local r=$1 path=$2 t=$3 secs=$4 out=$WORK/load.out
  load_cmd "$t" "$path" "$secs"
  local pg=${PID[$t]} be=${PID[backend]} p0 p1 b0 b1 m0 m1
  p0=$(group_ticks "$pg"); b0=$(group_ticks "$be"); m0=$(machine_cpu)
  FAILED=0
  if ! timeout $((secs + 30)) taskset -c "$LOAD_CPU" bash -c "$WRAP" load "${LOAD[@]}" >"$out" 2>&1; then
    # a target that cannot serve this path (e.g. no WebSocket) is reported, not fatal
    say "    load failed against $t: ${LOAD[*]}"; { grep -v '^LOADCPU' "$out" || true; } | tail -3 | sed 's/^/#     /' >&2
    FAILED=1; OTHER=0
    ROW=$(printf '%s\t%s\t%s\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0' "$r" "$path" "$t")
    return 0
  fi
  m1=$(machine_cpu); p1=$(group_ticks "$pg"); b1=$(group_ticks "$be")
  (( r == 0 )) && return 0
  local res wrkcpu
  # WSRESULT is mapped onto WRKRESULT's names (a round trip counts as a request)
  res=$(sed -n 's/^WSRESULT /WRKRESULT /; s/ roundtrips=/ requests=/; s/ rt_per_s=/ rps=/; /^WRKRESULT/p' "$out")
  [[ -n $res ]] || { cat "$out" >&2; die "no result line from ${LOAD[*]}"; }
  wrkcpu=$(awk '/^LOADCPU/ { print $2 }' "$out")
  local px=$((p1 - p0)) bk=$((b1 - b0))
  [[ $t == direct ]] && px=0
  # other% = busy CPU on the whole machine not accounted for by backend, proxy and wrk
  OTHER=$(awk -v a="$m0" -v b="$m1" -v ours=$((px + bk + wrkcpu)) 'BEGIN {
      split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; tot = y[2] - x[2]
      v = tot > 0 ? 100 * (busy - ours) / tot : 0; printf "%.0f", v < 0 ? 0 : v }')
  ROW=$(awk -v r="$r" -v p="$path" -v t="$t" -v px="$px" -v bk="$bk" -v hz="$CLK_TCK" -v o="$OTHER" '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      n = f["requests"] > 0 ? f["requests"] : 1
      printf "%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%d\t%d\t%.2f\t%.2f\t%s",
        r, p, t, f["rps"], f["requests"], f["p50_us"] / 1000, f["p99_us"] / 1000, f["p999_us"] / 1000,
        f["errors"], f["non2xx"], px * 1e6 / hz / n, bk * 1e6 / hz / n, o }' <<<"$res")
}

# wait_quiet: between runs our servers are idle, so whatever keeps the machine
# busy now belongs to someone else; wait (bounded) until it falls below the limit.
wait_quiet() {
  (( MAX_OTHER > 0 && QUIET_WAIT > 0 )) || return 0
  local waited=0 a b busy
  while :; do
    a=$(machine_cpu); sleep 0.5; b=$(machine_cpu)
    busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
      t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
    (( busy <= MAX_OTHER )) && return 0
    if (( waited >= QUIET_WAIT )); then say "    machine still ${busy}% busy after ${QUIET_WAIT} s: measuring anyway"; return 0; fi
    (( waited == 0 )) && say "    machine ${busy}% busy with other work: waiting up to ${QUIET_WAIT} s"
    sleep 0.5; waited=$((waited + 1))
  done
}

run_one() {  # round path target — measure, redo once if others were busy, record
  local try
  for try in 1 2; do
    wait_quiet
    measure "$@" "$DURATION"
    if (( FAILED )); then printf '%s\tfailed\n' "$ROW" >>"$RAW"; return 0; fi
    if (( MAX_OTHER == 0 || OTHER <= MAX_OTHER )); then printf '%s\tclean\n' "$ROW" >>"$RAW"; break; fi
    if (( try == 2 )); then printf '%s\tnoisy\n' "$ROW" >>"$RAW"; break; fi
    say "    other processes used ${OTHER}% of the CPU (> ${MAX_OTHER}%): redoing"
    sleep 2
  done
  awk -F'\t' '{ printf "#   round %s %-8s %-30s %9.0f req/s  p50 %6.3f  p99 %7.3f  p99.9 %7.3f ms  proxy %6.2f us/req  backend %5.2f us/req  err %d  non2xx %d  other %s%% %s\n",
      $1, $2, $3, $4, $6, $7, $8, $11, $12, $9, $10, $13, ($14 == "noisy" ? "NOISY" : "") }' <<<"$(tail -1 "$RAW")" >&2
}

# -------------------------------------------------------------- summary
summary() {
  awk -F'\t' -v order="${TL[*]}" -v paths="$PATHS" '
    function med(s,   a, n, i, j, t) { n = split(s, a, " "); if (n == 0) return 0
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
      return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
    function add(k, v) { col[k] = col[k] " " v }
    {
      k = $2 SUBSEP $3
      if ($14 == "failed") { failed[k]++; next }
      total[k]++
      if ($14 == "noisy") { noisy[k]++; nerr[k] += $9; nnon[k] += $10 } else { err[k] += $9; non2xx[k] += $10 }
      all[k] = all[k] " " NR; rows[NR] = $0; row_clean[NR] = ($14 == "clean")
      rps[$2 SUBSEP $3 SUBSEP $1] = $4; cpu[$2 SUBSEP $3 SUBSEP $1] = $11; clean[$2 SUBSEP $3 SUBSEP $1] = ($14 == "clean")
    }
    END {
      np = split(paths, P, " "); nt = split(order, T, " ")
      for (i = 1; i <= np; i++) {
        printf "\n**%s**\n\n", P[i]
        print "| target | req/s | × nginx | p50 ms | p99 ms | p99.9 ms | proxy CPU µs/req | CPU × nginx | backend µs/req | peak RSS MiB | errors | non-2xx | runs (noisy) |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (j = 1; j <= nt; j++) {
          k = P[i] SUBSEP T[j]
          if (!total[k]) { if (failed[k]) printf "| %s | failed | | | | | | | | | | | %d failed |\n", T[j], failed[k]; continue }
          # medians over clean runs; over all runs when every run was noisy
          useall = (noisy[k] == total[k])
          if (useall) { err[k] = nerr[k]; non2xx[k] = nnon[k] }  # counts follow the runs the medians use
          delete c; split(all[k], ids, " ")
          for (x in ids) { split(rows[ids[x]], f, "\t"); if (!useall && !row_clean[ids[x]]) continue
            c["rps"] = c["rps"] " " f[4]; c["p50"] = c["p50"] " " f[6]; c["p99"] = c["p99"] " " f[7]
            c["p999"] = c["p999"] " " f[8]; c["px"] = c["px"] " " f[11]; c["be"] = c["be"] " " f[12]
            # paired ratios with nginx from the same round
            kn = P[i] SUBSEP "nginx" SUBSEP f[1]
            if (T[j] != "nginx" && (kn in rps) && rps[kn] > 0 && (useall || clean[kn])) {
              c["ratio"] = c["ratio"] " " f[4] / rps[kn]
              if (cpu[kn] > 0 && T[j] != "direct") c["cratio"] = c["cratio"] " " f[11] / cpu[kn] }
          }
          # no clean nginx run in the same rounds: ratio of medians instead, marked "~"
          kn = P[i] SUBSEP "nginx"
          ratio = (T[j] == "nginx") ? "1.00" : (c["ratio"] != "" ? sprintf("%.2f", med(c["ratio"])) : \
                  (nrps[kn] > 0 ? sprintf("~%.2f", med(c["rps"]) / nrps[kn]) : "–"))
          cratio = (T[j] == "nginx") ? "1.00" : (c["cratio"] != "" ? sprintf("%.2f", med(c["cratio"])) : \
                  (ncpu[kn] > 0 && T[j] != "direct" ? sprintf("~%.2f", med(c["px"]) / ncpu[kn]) : "–"))
          if (T[j] == "nginx") { nrps[kn] = med(c["rps"]); ncpu[kn] = med(c["px"]) }
          pxs = (T[j] == "direct") ? "–" : sprintf("%.1f", med(c["px"]))
          printf "| %s | %.0f | %s | %.3f | %.3f | %.3f | %s | %s | %.1f | %s | %d | %d | %d (%d) |\n",
            T[j], med(c["rps"]), ratio, med(c["p50"]), med(c["p99"]), med(c["p999"]), pxs, cratio,
            med(c["be"]), "RSS_" T[j], err[k], non2xx[k], total[k], noisy[k]
        }
        # CONFIG+dash against CONFIG, paired by round (clean runs of both)
        for (j = 1; j <= nt; j++) {
          if (T[j] !~ /\+dash$/) continue
          b = substr(T[j], 1, length(T[j]) - 5); rr = ""; cr = ""; list = ""
          for (x in rps) { split(x, q, SUBSEP); if (q[1] != P[i] || q[2] != T[j]) continue
            kb = P[i] SUBSEP b SUBSEP q[3]
            if (!(kb in rps) || rps[kb] <= 0 || !clean[x] || !clean[kb]) continue
            rr = rr " " rps[x] / rps[kb]; list = list sprintf(" %.3f", rps[x] / rps[kb])
            if (cpu[kb] > 0) cr = cr " " cpu[x] / cpu[kb] }
          if (rr == "") continue
          printf "\n%s ÷ %s, paired by round: req/s × %.3f (median; rounds:%s), proxy CPU/req × %.3f\n", T[j], b, med(rr), list, med(cr)
        }
      }
    }' "$RAW"
}

# ----------------------------------------------------------------- main
MACHINE="$(nproc) CPUs, $(awk -F: '/^model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
say "machine: $MACHINE; work directory $WORK"
say "building premier and the backend"
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ " ${TL[*]}" == *" premier:"* ]]; then
  if [[ -n ${PREMIER_BIN:-} ]]; then
    cp "$PREMIER_BIN" "$WORK/premier" || die "PREMIER_BIN=$PREMIER_BIN: cannot copy"
    PREMIER_VERSION="premier binary $PREMIER_BIN"
  elif [[ $SOURCE == head ]]; then
    mkdir -p "$WORK/src"
    git -C "$ROOT" archive HEAD | tar -x -C "$WORK/src" || die "git archive HEAD failed"
    (cd "$WORK/src" && go build -o "$WORK/premier" .) || die "premier at HEAD ($REV) does not build"
    PREMIER_VERSION="premier $REV (committed HEAD)"
  else
    (cd "$ROOT" && go build -o "$WORK/premier" .) \
      || die "premier does not build from the working tree (try --source head)"
    PREMIER_VERSION="premier $REV$(git -C "$ROOT" diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' + uncommitted changes')"
  fi
fi
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend) || die "backend does not build"
if [[ " $PATHS " == *" ws "* ]]; then
  (cd "$ROOT" && go build -o "$WORK/wsbench" ./bench/wsbench) || die "bench/wsbench does not build"
fi

PORT[backend]=$BASE_PORT PORT[direct]=$BASE_PORT PORT[nginx]=$((BASE_PORT + 1)) PORT[haproxy]=$((BASE_PORT + 2)) PORT[nginx-cache]=$((BASE_PORT + 3))
i=10
for t in "${TL[@]}"; do [[ $t == premier:* ]] && { PORT[$t]=$((BASE_PORT + i)); i=$((i + 1)); }; done

start backend "$WORK/backend.log" "$WORK/backend" -listen "127.0.0.1:${PORT[backend]}" -name bench
PID[direct]=${PID[backend]}
for t in "${TL[@]}"; do start_target "$t"; done
say "started: backend on CPU$SERVER_CPU port ${PORT[backend]}; $(for t in "${TL[@]}"; do printf '%s:%s ' "$t" "${PORT[$t]}"; done); wrk on CPU$LOAD_CPU"

VERSIONS="$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'); $(go version | awk '{ print $3 }'); ${PREMIER_VERSION:-premier not run}; fasthttp $(awk '$1 == "github.com/valyala/fasthttp" { print $2 }' "$ROOT/go.mod")"
for t in "${TL[@]}"; do
  case $t in
    nginx) VERSIONS+="; nginx $(nginx -v 2>&1 | sed 's#.*/##')" ;;
    haproxy) VERSIONS+="; haproxy $(haproxy -v | awk 'NR == 1 { print $3 }')" ;;
  esac
done

say "warm-up (2 s per target and path, not recorded)"
for p in $PATHS; do for t in "${TL[@]}"; do measure 0 "$p" "$t" 2; done; done

n=${#TL[@]}
for r in $(seq "$ROUNDS"); do
  for p in $PATHS; do
    for k in $(seq 0 $((n - 1))); do
      run_one "$r" "$p" "${TL[$(((k + r - 1) % n))]}"
      sleep 0.3
    done
  done
done

TABLE=$(summary)
for t in "${TL[@]}"; do
  rss=$(awk -v k="$(group_hwm_kib "${PID[$t]}")" 'BEGIN { printf "%.1f", k / 1024 }')
  [[ $t == direct ]] && rss="–"
  TABLE=${TABLE//"RSS_$t |"/"$rss |"}
done
stop_all

REPORT=$(cat <<EOF
### $(date -u '+%Y-%m-%d %H:%M UTC') — \`$CMDLINE\`

- machine: $MACHINE
- versions: $VERSIONS
- settings: $ROUNDS rounds × ${DURATION} s per target and path, wrk -t$THREADS -c$CONNS pinned to CPU$LOAD_CPU; backend and every server pinned to CPU$SERVER_CPU (nginx worker_processes 1, haproxy nbthread 1, Go GOMAXPROCS=1); runs with other processes above ${MAX_OTHER}% CPU redone once, then marked noisy
$TABLE
EOF
)
echo "$REPORT"
if (( APPEND )); then
  printf '\n%s\n' "$REPORT" >>"$BENCH/RESULTS.md"
  say "appended to bench/RESULTS.md"
fi
(( KEEP )) && say "raw runs: $RAW"
exit 0
