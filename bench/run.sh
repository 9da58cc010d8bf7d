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
#   --targets "T ..."   any of: direct nginx[:VARIANT] haproxy[:VARIANT] nginx-cache
#                       premier premier:CONFIG premier:all premier-b:CONFIG
#                       (VARIANT = passthrough (default) timeout-monitoring ratelimit
#                       cache-hit cache-reval rules50 gzip gzip-cache: nginx and HAProxy
#                       configured like the premier config of that name; nginx-cache =
#                       nginx:cache-hit; cache-reval is nginx only: HAProxy's cache does
#                       not revalidate; gzip and gzip-cache are nginx only: `gzip on` at
#                       the premier config's level and types, gzip-cache with proxy_cache)
#                       (premier = premier:passthrough; CONFIG = any bench/configs
#                       file name without .yaml, or a path to a .yaml file;
#                       premier:CONFIG+dash = the same with a dashboard live
#                       stream (GET /__premier/api/stream, curl -N) consuming for
#                       the whole run). Default: "nginx haproxy premier"
#                       (haproxy only when installed). The first nginx target is
#                       the reference of the "× nginx" columns.
#   --paths "P ..."     URL paths (/small) or scenarios from bench/wrk/NAME.lua
#                       (small 4k post16k mix close reval json64k), or ws: WebSocket echo
#                       round trips on /ws/echo with bench/wsbench echo (64-byte messages,
#                       one in flight per connection). Default: "/small /4k"
#   --tls               every target serves HTTPS (nginx and premier targets only): one
#                       ECDSA P-256 certificate for all, TLS 1.2 and 1.3, session
#                       cache and tickets, HTTP/2 offered by ALPN; wrk paths go over
#                       https, and three more paths: h2 (h2load, HTTP/2, 10 streams
#                       per connection, on /small), handshake (openssl s_time -new:
#                       a full handshake and a GET /small per connection) and resume
#                       (s_time -reuse: resumed sessions)
#   --nbackends K       K backends behind every proxy, round robin (default 1)
#   --max-other P       a run during which other processes used more than P% of
#                       the machine's CPU is redone once; if still noisy it is
#                       kept out of the figures (a cell with no clean run prints
#                       "noisy" instead of numbers) (default 15; 0 disables)
#   --quiet-wait S      before each run, wait up to S seconds for the machine to
#                       be quiet (other processes below --max-other) (default 30)
#   --source tree|head  build premier from the working tree (default) or from the
#                       committed HEAD (git archive into the work directory:
#                       reproducible, ignores uncommitted edits)
#   --append            also append the table to bench/RESULTS.md
#   --keep              keep the work directory (configs, logs, raw runs)
#   -h, --help
# Suite and cost-growth modes (each runs the runner above once per step, with
# fresh servers, and prints one table; the options above apply to every step):
#   --workloads "W ..." the issue's workloads, each against nginx, haproxy and
#                       premier configured alike: small 4k timeout ratelimit
#                       cache reval post16k mix close jwt gzip gzip-cache (or "all";
#                       reval without HAProxy, whose cache does not revalidate; gzip
#                       and gzip-cache: 64 KiB JSON with Accept-Encoding: gzip,
#                       nginx `gzip on` at the same level, without HAProxy; jwt:
#                       premier with JWT auth against nginx/HAProxy without)
#   --conns "N ..."     req/s, p99 and peak RSS at N keep-alive client
#                       connections (e.g. "64 1000 10000"; path: the first of
#                       --paths, default /small)
#   --backends "K ..."  proxy CPU per request and req/s with K backends behind
#                       round robin (e.g. "1 2 4 8 16")
# Environment: PREMIER_BIN (use this premier binary instead of building),
# PREMIER_BIN_B (the binary of premier-b:CONFIG targets: an A/B pair in the same
# interleaved rounds), LOAD_CPU (default 0), SERVER_CPU (default 1), BASE_PORT
# (default 19000: backends from BASE_PORT, servers from BASE_PORT+20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

ROUNDS=3 DURATION=5 CONNS=64 THREADS=1 MAX_OTHER=15 QUIET_WAIT=30 APPEND=0 KEEP=0
TARGETS="" PATHS="/small /4k" SOURCE=tree NBACKENDS=1 PATHS_SET=0 TLS=0 SCHEME=http
WORKLOADS="" CONNS_LIST="" BACKENDS_LIST=""
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
    --paths) PATHS=$2; PATHS_SET=1; shift ;;
    --nbackends) NBACKENDS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --conns) CONNS_LIST=$2; shift ;;
    --backends) BACKENDS_LIST=$2; shift ;;
    --max-other) MAX_OTHER=$2; shift ;;
    --quiet-wait) QUIET_WAIT=$2; shift ;;
    --source) SOURCE=$2; shift ;;
    --append) APPEND=1 ;;
    --tls) TLS=1 SCHEME=https ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift
done
for v in ROUNDS DURATION CONNS THREADS MAX_OTHER QUIET_WAIT NBACKENDS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v,,} must be a number"
done
(( NBACKENDS >= 1 && NBACKENDS <= 64 )) || die "--nbackends must be 1..64"
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
VARIANTS="passthrough timeout-monitoring ratelimit cache-hit cache-reval rules50 gzip gzip-cache"
declare -a TL=()
declare -A CFGFILE=()   # premier target -> its config file
for t in $TARGETS; do
  case $t in
    premier) TL+=(premier:passthrough); CFGFILE[premier:passthrough]=$BENCH/configs/passthrough.yaml ;;
    premier:all) for f in "$BENCH"/configs/*.yaml; do n=${f##*/}; TL+=("premier:${n%.yaml}"); CFGFILE[premier:${n%.yaml}]=$f; done ;;
    premier:*|premier-b:*)
               kind=${t%%:*}; c=${t#*:}; c=${c%+dash}
               [[ $kind == premier || -n ${PREMIER_BIN_B:-} ]] || die "target $t: set PREMIER_BIN_B to the second binary"
               if [[ $c == *.yaml ]]; then f=$c; else f=$BENCH/configs/$c.yaml; fi
               [[ -f $f ]] || die "target $t: no config file $f"
               [[ $c == *.yaml ]] && t=$kind:$(basename "$c" .yaml)${t##*.yaml}
               CFGFILE[$t]=$(cd "$(dirname "$f")" && pwd)/$(basename "$f"); TL+=("$t") ;;
    nginx|haproxy|nginx:*|haproxy:*|nginx-cache)
      s=${t%%:*}; s=${s%-cache}
      ensure_tool "$s" "$s" || die "missing $s (apt-get install $s) — or drop $t from --targets"
      [[ $t != *:* || " $VARIANTS " == *" ${t#*:} "* ]] || die "target $t: variant must be one of: $VARIANTS"
      [[ $t != haproxy:cache-reval ]] || die "target $t: HAProxy's cache does not revalidate; compare nginx:cache-reval"
      [[ $t != haproxy:gzip* ]] || die "target $t: the compression workload compares nginx's gzip; use nginx:${t#*:}"
      TL+=("$t") ;;
    direct) TL+=(direct) ;;
    *) die "unknown target $t" ;;
  esac
done
variant() {  # nginx/haproxy target -> the bench/configs name it mirrors
  case $1 in nginx-cache) echo cache-hit ;; *:*) echo "${1#*:}" ;; *) echo passthrough ;; esac
}
# the first nginx target is the reference; it goes first (the summary's ratios rely on it)
REF=""
for t in "${TL[@]}"; do [[ $t == nginx || $t == nginx:* || $t == nginx-cache ]] && { REF=$t; break; }; done
if [[ -n $REF ]]; then
  declare -a rest=()
  for t in "${TL[@]}"; do [[ $t == "$REF" ]] || rest+=("$t"); done
  TL=("$REF" "${rest[@]}")
fi
for p in $PATHS; do
  case $p in
    h2|handshake|resume) (( TLS )) || die "path $p needs --tls" ;;
    *) [[ $p == /* || $p == ws || -f $BENCH/wrk/$p.lua ]] || die "path $p: neither /URL-path, ws, nor bench/wrk/$p.lua" ;;
  esac
done
if (( TLS )); then
  [[ " $PATHS " != *" ws "* ]] || die "--tls: the ws path is plain WebSocket only"
  TLS_NOTE=" HTTPS: one ECDSA P-256 certificate, TLS 1.2/1.3, session cache and tickets, h2 by ALPN (h2: h2load -m 10, mean latency in p50; handshake/resume: openssl s_time, one GET /small per connection);"
  for t in "${TL[@]}"; do
    [[ $t == nginx || $t == nginx:* || $t == nginx-cache || $t == premier:* || $t == premier-b:* ]] \
      || die "--tls: target $t cannot serve TLS here (nginx and premier targets only)"
  done
  ensure_tool openssl openssl || die "missing openssl"
  [[ " $PATHS " != *" h2 "* ]] || ensure_tool h2load nghttp2-client || die "missing h2load (apt-get install nghttp2-client)"
fi

# servers need file descriptors for connections on both sides
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n); [[ $NOFILE == unlimited ]] && NOFILE=65536
MAXCONN=$(( NOFILE / 2 - 100 < 16384 ? NOFILE / 2 - 100 : 16384 ))   # HAProxy: two fds per connection
NGINX_CONNS=$(( NOFILE - 100 < 65536 ? NOFILE - 100 : 65536 ))     # nginx: counts client and upstream connections
(( CONNS + 100 <= NOFILE )) || die "--connections $CONNS needs more file descriptors than ulimit -n allows ($NOFILE)"

# ------------------------------------------------------- work directory
WORK=$(mktemp -d /tmp/premier-bench.XXXXXX)
RAW=$WORK/runs.tsv; : >"$RAW"
if (( TLS )); then  # one certificate for every target, as in the issue's comparison
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.pem" >/dev/null 2>&1 \
    || die "openssl could not make the benchmark certificate"
fi
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
backend_ticks() {  # every backend's CPU ticks, summed
  local b sum=0
  for b in "${BACKEND_PIDS[@]}"; do sum=$(( sum + $(group_ticks "$b") )); done
  echo "$sum"
}
# whole-machine CPU counters: "busy total" in ticks (busy = user nice system irq softirq;
# softirq counts because the kernel charges network softirq work to tasks' stime too)
machine_cpu() { awk '$1 == "cpu" { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }

# ------------------------------------------------------------ start-up
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

start() {  # name log cmd... — start pinned to SERVER_CPU in a new session
  local name=$1 log=$2 scheme=$SCHEME; shift 2
  [[ $name != backend* ]] || scheme=http  # the backends are plain HTTP
  port_free "${PORT[$name]}" || die "port ${PORT[$name]} ($name) is in use; set BASE_PORT"
  GOMAXPROCS=1 taskset -c "$SERVER_CPU" setsid "$@" >"$log" 2>&1 &
  PID[$name]=$!
  STARTED+=("$!")
  local i
  for i in $(seq 100); do
    curl -fsk -o /dev/null -m 1 "$scheme://127.0.0.1:${PORT[$name]}/healthz" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -20 "$log" >&2; die "$name exited during start-up (log above)"; }
    sleep 0.1
  done
  tail -20 "$log" >&2
  die "$name not answering /healthz on port ${PORT[$name]} after 10 s"
}

# rules_of CONFIG: "pattern<TAB>timeout-ms" per rule of bench/configs/CONFIG.yaml
# (the same rules for nginx and HAProxy as for Premier)
rules_of() {
  awk 'function out() { if (p != "") printf "%s\t%d\n", p, (t == "" ? 60 : t) * 1000 }
       /^ *- pattern: / { out(); sub(/^ *- pattern: */, ""); gsub(/^"|"$/, ""); p = $0; t = "" }
       /^ *seconds: / && p != "" { t = $2 }
       END { out() }' "$BENCH/configs/$1.yaml"
}
# glob_re PATTERN: a Premier glob/{param} pattern as an anchored regex
glob_re() { sed -e 's/[.+()|$^]/\\&/g' -e 's/\*/.*/g' -e 's/?/./g' -e 's/{[^}]*}/[^\/]+/g' -e 's/^/^/' -e 's/$/$/' <<<"$1"; }
pattern_kind() {  # regex | all (literal prefix + final /*) | exact | glob
  case $1 in
    ^*) echo regex ;;
    */\*) local head=${1%\*}; [[ $head == *[*?[{]* ]] && echo glob || echo all ;;
    *[*?[{]*) echo glob ;;
    *) echo exact ;;
  esac
}

# gzip_level CONFIG: the gzip level a bench config sets (levels: {gzip: N}), else Premier's default 6
gzip_level() {
  local l; l=$(sed -n 's/.*levels:.*gzip: *\([0-9]\).*/\1/p' "$BENCH/configs/$1.yaml" | head -1)
  echo "${l:-6}"
}

write_nginx_conf() {  # target: nginx[:VARIANT] or nginx-cache
  local name=$1 dir=$WORK/$1 v cache_path="" cache_use="" limit_zone="" limit_use="" locations="" p t
  v=$(variant "$name")
  mkdir -p "$dir/tmp"
  local user=""; [[ $EUID == 0 ]] && user="user root;"
  case $v in
    cache-hit)
      cache_path="proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;"
      cache_use="proxy_cache bench; proxy_cache_valid 200 5m; add_header X-Cache \$upstream_cache_status;" ;;
    cache-reval)  # the backend's own freshness (max-age=1), stale entries revalidated with its ETag
      cache_path="proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;"
      cache_use="proxy_cache bench; proxy_cache_revalidate on; add_header X-Cache \$upstream_cache_status;" ;;
    gzip|gzip-cache)  # the premier config's level, types and minimum size; nginx compresses proxied answers only with gzip_proxied
      cache_use="gzip on; gzip_comp_level $(gzip_level "$v"); gzip_types application/json; gzip_min_length 1024; gzip_proxied any; gzip_vary on;"
      if [[ $v == gzip-cache ]]; then
        cache_path="proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;"
        cache_use+=" proxy_cache bench; proxy_cache_valid 200 5m; add_header X-Cache \$upstream_cache_status;"
      fi ;;
    ratelimit)  # a quota no benchmark reaches: every request allowed, the decision still made
      limit_zone="limit_req_zone \$binary_remote_addr zone=rl:1m rate=100000000r/s;"
      limit_use="limit_req zone=rl burst=100000000 nodelay;" ;;
    timeout-monitoring) cache_use="proxy_connect_timeout 5s; proxy_send_timeout 5s; proxy_read_timeout 5s;" ;;
  esac
  if [[ $v == rules50 ]]; then
    while IFS=$'\t' read -r p t; do
      case $(pattern_kind "$p") in
        regex) locations+="        location ~ \"$p\" { proxy_read_timeout ${t}ms; proxy_pass http://app; }"$'\n' ;;
        all)   locations+="        location ${p%\*} { proxy_read_timeout ${t}ms; proxy_pass http://app; }"$'\n' ;;
        exact) locations+="        location = $p { proxy_read_timeout ${t}ms; proxy_pass http://app; }"$'\n' ;;
        glob)  locations+="        location ~ \"$(glob_re "$p")\" { proxy_read_timeout ${t}ms; proxy_pass http://app; }"$'\n' ;;
      esac
    done < <(rules_of rules50)
  else
    locations="        location / { $cache_use $limit_use proxy_pass http://app; }"
  fi
  local servers="" i
  for i in $(seq 0 $((NBACKENDS - 1))); do servers+="        server 127.0.0.1:$((BASE_PORT + i));"$'\n'; done
  local listen="listen 127.0.0.1:${PORT[$name]} backlog=4096;" tls=""
  if (( TLS )); then
    listen="listen 127.0.0.1:${PORT[$name]} ssl http2 backlog=4096;"
    tls="ssl_certificate $WORK/tls.pem; ssl_certificate_key $WORK/tls.key; ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m; ssl_session_timeout 1h; ssl_session_tickets on;"
  fi
  cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh ($name): one worker, keep-alive upstream pool, no access log
worker_processes 1;
$user
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $NGINX_CONNS; }
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
    $limit_zone
    map \$http_upgrade \$conn_header { default upgrade; '' ''; }
    upstream app {
$servers        keepalive 256;
        keepalive_requests 100000;
        keepalive_timeout 60s;
    }
    server {
        $listen
        $tls
        proxy_http_version 1.1;
        proxy_set_header Host \$host;
        proxy_set_header Connection \$conn_header;
        proxy_set_header Upgrade \$http_upgrade;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
$locations
    }
}
EOF
}

write_haproxy_conf() {  # target: haproxy[:VARIANT]
  local name=$1 v servers="" i p t n=0 rules="" backends="" global_extra="" fe_extra="" be_extra="" cache_sec=""
  v=$(variant "$name")
  for i in $(seq 0 $((NBACKENDS - 1))); do servers+="    server s$i 127.0.0.1:$((BASE_PORT + i))"$'\n'; done
  # HAProxy reserves two descriptors per connection; past half the limit it
  # needs "no strict-limits" to start (keep-alive reuse needs far fewer)
  local maxconn=$MAXCONN
  (( CONNS + 100 > maxconn )) && { maxconn=$((CONNS + 100)); global_extra="    no strict-limits"; }
  case $v in
    timeout-monitoring) be_extra="    timeout server 5s" ;;
    ratelimit)  # a quota no benchmark reaches: every request tracked and allowed
      fe_extra=$'    stick-table type ip size 100k expire 10s store http_req_rate(1s)\n    http-request track-sc0 src\n    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }' ;;
    cache-hit)
      cache_sec=$'cache bench\n    total-max-size 16\n    max-object-size 65536\n    max-age 300'
      # the backend sends no freshness: give it one, as nginx's proxy_cache_valid does
      be_extra=$'    http-request cache-use bench\n    http-response set-header Cache-Control "max-age=300" if !{ res.hdr(Cache-Control) -m found }\n    http-response cache-store bench\n    http-response set-header X-Cache HIT if { res.cache_hit }' ;;
    rules50)
      while IFS=$'\t' read -r p t; do
        case $(pattern_kind "$p") in
          regex) rules+="    use_backend r$n if { path_reg $p }"$'\n' ;;
          all)   [[ $p == "/*" ]] && { be_extra="    timeout server ${t}ms"; continue; }
                 rules+="    use_backend r$n if { path_beg ${p%\*} }"$'\n' ;;
          exact) rules+="    use_backend r$n if { path $p }"$'\n' ;;
          glob)  rules+="    use_backend r$n if { path_reg $(glob_re "$p") }"$'\n' ;;
        esac
        backends+=$'\n'"backend r$n"$'\n'"    timeout server ${t}ms"$'\n'"$servers"
        n=$((n + 1))
      done < <(rules_of rules50) ;;
  esac
  cat >"$WORK/$name.cfg" <<EOF
# generated by bench/run.sh ($name): one thread, keep-alive to the backend, connection reuse
global
    nbthread 1
    maxconn $maxconn
$global_extra
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
$cache_sec
frontend fe
    bind 127.0.0.1:${PORT[$name]}
$fe_extra
$rules    default_backend app
backend app
$be_extra
$servers$backends
EOF
}

# premier_conf SRC DST: a bench config pointed at the backends this run started
# (127.0.0.1:9001 -> the first; with --nbackends K the quoted "http://127.0.0.1:9001"
# in a flow list becomes K entries), with room for --connections clients
premier_conf() {
  local src=$1 dst=$2 list="" i
  for i in $(seq 0 $((NBACKENDS - 1))); do list+="${list:+, }\"http://127.0.0.1:$((BASE_PORT + i))\""; done
  if (( NBACKENDS > 1 )); then
    grep -q '\[.*"http://127\.0\.0\.1:9001".*\]' "$src" \
      || die "$src: --nbackends needs its servers as a flow list with \"http://127.0.0.1:9001\""
    sed "s#\"http://127\.0\.0\.1:9001\"#$list#g" "$src" >"$dst"
  else
    sed "s#127\.0\.0\.1:9001#127.0.0.1:${BASE_PORT}#g" "$src" >"$dst"
  fi
  if (( CONNS + 100 > 10000 )); then  # limits.max_connections defaults to 10000
    grep -q '^  limits:' "$dst" && die "$src has its own limits: set max_connections >= $((CONNS + 100)) there"
    printf '  limits:\n    max_connections: %d\n' $((CONNS + 100)) >>"$dst"
  fi
}

start_target() {
  local t=$1
  case $t in
    direct) ;;  # the backend itself
    nginx|nginx:*|nginx-cache)
      write_nginx_conf "$t"
      start "$t" "$WORK/$t.log" nginx -p "$WORK/$t" -c "$WORK/$t/nginx.conf" -g 'daemon off;'
      ;;
    haproxy|haproxy:*)
      write_haproxy_conf "$t"
      start "$t" "$WORK/$t.log" haproxy -db -f "$WORK/$t.cfg"
      ;;
    premier:*|premier-b:*)
      local name=${t/:/-}
      premier_conf "${CFGFILE[$t]}" "$WORK/$name.yaml"
      local listen=(-listen "127.0.0.1:${PORT[$t]}")
      if (( TLS )); then  # the plain listener beside it, on a port nobody loads
        printf '  tls:\n    listen: "127.0.0.1:%d"\n    certificates:\n      - {cert_file: "%s", key_file: "%s"}\n' \
          "${PORT[$t]}" "$WORK/tls.pem" "$WORK/tls.key" >>"$WORK/$name.yaml"
        listen=(-listen "127.0.0.1:$(( PORT[$t] + 200 ))" -tls-listen "127.0.0.1:${PORT[$t]}")
      fi
      start "$t" "$WORK/$name.log" "$WORK/${t%%:*}" -config "$WORK/$name.yaml" "${listen[@]}"
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
    /*) LOAD=(wrk -t"$THREADS" -c"$CONNS" -d"${3}s" --timeout 2s -s "$BENCH/wrk/report.lua" "$SCHEME://$base$2") ;;
    ws) LOAD=("$WORK/wsbench" echo -url "ws://$base/ws/echo" -c "$CONNS" -n 1000000000 -size 64 -d "${3}s") ;;
    h2) LOAD=("$BENCH/tlsload.sh" h2 "https://$base/small" "$CONNS" "$3") ;;
    handshake|resume) LOAD=("$BENCH/tlsload.sh" "$2" "$base" /small "$3") ;;
    *)  LOAD=(wrk -t"$THREADS" -c"$CONNS" -d"${3}s" --timeout 2s -s "$BENCH/wrk/$2.lua" "$SCHEME://$base/") ;;
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
  local pg=${PID[$t]} p0 p1 b0 b1 m0 m1
  p0=$(group_ticks "$pg"); b0=$(backend_ticks); m0=$(machine_cpu)
  FAILED=0
  if ! timeout $((secs + 30)) taskset -c "$LOAD_CPU" bash -c "$WRAP" load "${LOAD[@]}" >"$out" 2>&1; then
    # a target that cannot serve this path (e.g. no WebSocket) is reported, not fatal
    say "    load failed against $t: ${LOAD[*]}"; { grep -v '^LOADCPU' "$out" || true; } | tail -3 | sed 's/^/#     /' >&2
    FAILED=1; OTHER=0
    ROW=$(printf '%s\t%s\t%s\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0' "$r" "$path" "$t")
    return 0
  fi
  m1=$(machine_cpu); p1=$(group_ticks "$pg"); b1=$(backend_ticks)
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
  awk -F'\t' -v order="${TL[*]}" -v paths="$PATHS" -v ref="$REF" '
    function med(s,   a, n, i, j, t) { n = split(s, a, " "); if (n == 0) return 0
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
      return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
    function add(k, v) { col[k] = col[k] " " v }
    {
      k = $2 SUBSEP $3
      if ($14 == "failed") { failed[k]++; next }
      total[k]++
      if ($14 == "noisy") { noisy[k]++; if ($13 + 0 > maxo[k]) maxo[k] = $13 + 0 } else { err[k] += $9; non2xx[k] += $10 }
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
          # medians over clean runs only: a cell whose runs were all noisy is not reported
          if (noisy[k] == total[k]) {
            printf "| %s | noisy | | | | | | | | | | | %d (%d): other processes up to %d%% CPU |\n", T[j], total[k], noisy[k], maxo[k]
            continue }
          delete c; split(all[k], ids, " ")
          for (x in ids) { split(rows[ids[x]], f, "\t"); if (!row_clean[ids[x]]) continue
            c["rps"] = c["rps"] " " f[4]; c["p50"] = c["p50"] " " f[6]; c["p99"] = c["p99"] " " f[7]
            c["p999"] = c["p999"] " " f[8]; c["px"] = c["px"] " " f[11]; c["be"] = c["be"] " " f[12]
            # paired ratios with nginx from the same round
            kn = P[i] SUBSEP ref SUBSEP f[1]
            if (T[j] != ref && (kn in rps) && rps[kn] > 0 && clean[kn]) {
              c["ratio"] = c["ratio"] " " f[4] / rps[kn]
              if (cpu[kn] > 0 && T[j] != "direct") c["cratio"] = c["cratio"] " " f[11] / cpu[kn] }
          }
          # no clean nginx run in the same rounds: ratio of medians instead, marked "~"
          kn = P[i] SUBSEP ref
          ratio = (T[j] == ref) ? "1.00" : (c["ratio"] != "" ? sprintf("%.2f", med(c["ratio"])) : \
                  (nrps[kn] > 0 ? sprintf("~%.2f", med(c["rps"]) / nrps[kn]) : "–"))
          cratio = (T[j] == ref) ? "1.00" : (c["cratio"] != "" ? sprintf("%.2f", med(c["cratio"])) : \
                  (ncpu[kn] > 0 && T[j] != "direct" ? sprintf("~%.2f", med(c["px"]) / ncpu[kn]) : "–"))
          if (T[j] == ref) { nrps[kn] = med(c["rps"]); ncpu[kn] = med(c["px"]) }
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
if [[ " ${TL[*]}" == *" premier-b:"* ]]; then
  cp "$PREMIER_BIN_B" "$WORK/premier-b" || die "PREMIER_BIN_B=$PREMIER_BIN_B: cannot copy"
  PREMIER_B_VERSION="; premier-b binary $PREMIER_BIN_B"
fi
if [[ " ${TL[*]}" == *" premier:"* ]]; then
  if [[ -n ${PREMIER_BIN:-} ]]; then
    cp "$PREMIER_BIN" "$WORK/premier" || die "PREMIER_BIN=$PREMIER_BIN: cannot copy"
    PREMIER_VERSION=${PREMIER_LABEL:-"premier binary $PREMIER_BIN"}
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
[[ -n $WORKLOADS$CONNS_LIST$BACKENDS_LIST ]] \
  || (cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend) || die "backend does not build"
if [[ " $PATHS " == *" ws "* ]]; then
  (cd "$ROOT" && go build -o "$WORK/wsbench" ./bench/wsbench) || die "bench/wsbench does not build"
fi

if (( MAX_OTHER > 0 )); then
  NOISY_RULE="runs with other processes above ${MAX_OTHER}% CPU redone once, then left out (a cell with no clean run says \"noisy\")"
else
  NOISY_RULE="check of other processes' CPU off (--max-other 0): figures may be disturbed"
fi
# --------------------------------------------- suite and cost-growth modes
# Each step is one run of this script with fresh servers (so peak RSS belongs
# to that step), sharing the premier binary built above; the step's markdown
# table is read back and folded into one table.
MODE=""
for m in WORKLOADS CONNS_LIST BACKENDS_LIST; do
  [[ -n ${!m} ]] || continue
  [[ -z $MODE ]] || die "use one of --workloads, --conns, --backends per run"
  MODE=$m
done

declare -A WL_CFG=([small]=passthrough [4k]=passthrough [timeout]=timeout-monitoring [ratelimit]=ratelimit
                   [cache]=cache-hit [reval]=cache-reval [post16k]=passthrough [mix]=rules50 [close]=passthrough
                   [jwt]=jwt [gzip]=gzip [gzip-cache]=gzip-cache)
declare -A WL_PATH=([small]=/small [4k]=/4k [timeout]=/small [ratelimit]=/small
                    [cache]=/small [reval]=reval [post16k]=post16k [mix]=mix [close]=close [jwt]=jwt
                    [gzip]=json64k [gzip-cache]=json64k)
WL_ALL="small 4k timeout ratelimit cache reval post16k mix close jwt gzip gzip-cache"

step() {  # label args... -> runs one step, its report in $WORK/step-label.md
  local label=$1; shift
  say "== step $label: bench/run.sh $*"
  PREMIER_BIN=$WORK/premier PREMIER_LABEL=${PREMIER_VERSION:-} "$0" --rounds "$ROUNDS" --duration "$DURATION" \
    --threads "$THREADS" --max-other "$MAX_OTHER" --quiet-wait "$QUIET_WAIT" "$@" >"$WORK/step-$label.md" \
    || die "step $label failed (bench/run.sh $*)"
}
step_rows() {  # label -> "label<TAB>target<TAB>req/s<TAB>p99<TAB>proxy µs<TAB>RSS<TAB>errors<TAB>non2xx<TAB>runs"
  awk -F'|' -v l="$1" '/^\| / && $2 !~ /target/ { for (i = 2; i <= 14; i++) gsub(/^ +| +$/, "", $i)
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l, $2, $3, $6, $8, $11, $12, $13, $14 }' "$WORK/step-$1.md"
}
# pivot TITLE "HEADER:FIELD ..." LEVELS: one row per target, one column per metric and level
pivot() {
  awk -F'\t' -v levels="$3" -v metrics="$2" -v unit="$4" '
    { if (!($2 in seen)) { seen[$2] = 1; order[++nt] = $2 } v[$1, $2] = $0 }
    END {
      nl = split(levels, L, " "); nm = split(metrics, M, " ")
      h = "| target |"; s = "|---|"
      for (m = 1; m <= nm; m++) { split(M[m], hf, ":"); gsub(/_/, " ", hf[1])
        for (l = 1; l <= nl; l++) { h = h sprintf(" %s @%s %s |", hf[1], L[l], unit); s = s "---:|" } }
      print h " errors | runs (noisy) |"; print s "---:|---|"
      for (t = 1; t <= nt; t++) {
        row = "| " order[t] " |"; errs = 0; runs = ""
        for (m = 1; m <= nm; m++) { split(M[m], hf, ":")
          for (l = 1; l <= nl; l++) {
            if (!((L[l], order[t]) in v)) { row = row " – |"; continue }
            split(v[L[l], order[t]], f, "\t"); row = row " " f[hf[2]] " |"
            if (m == 1) { errs += f[7] + f[8]; runs = runs (runs == "" ? "" : ", ") f[9] } } }
        print row " " errs " | " runs " |" } }'
}

if [[ -n $MODE ]]; then
  base_targets=$TARGETS
  [[ $base_targets == *premier:* || $base_targets == *nginx:* || $base_targets == *haproxy:* ]] && [[ $MODE == WORKLOADS ]] \
    && die "--workloads picks each target's config itself: give --targets as plain names (nginx haproxy premier)"
  TABLE=""
  case $MODE in
    WORKLOADS)
      [[ $WORKLOADS == all ]] && WORKLOADS=$WL_ALL
      for w in $WORKLOADS; do [[ -n ${WL_CFG[$w]:-} ]] || die "unknown workload $w (want: $WL_ALL)"; done
      for w in $WORKLOADS; do
        c=${WL_CFG[$w]} tl=""
        for t in $base_targets; do
          case $t in
            nginx-cache) ;;
            direct) [[ $c == passthrough ]] && tl+=" direct" ;;
            haproxy) case $c in cache-reval|gzip|gzip-cache) ;; passthrough|jwt) tl+=" haproxy" ;; *) tl+=" haproxy:$c" ;; esac ;;
            nginx) if [[ $c == passthrough || $c == jwt ]]; then tl+=" $t"; else tl+=" $t:$c"; fi ;;  # jwt: nginx without auth, the cost of auth shown as it is
            *) if [[ $c == passthrough ]]; then tl+=" $t"; else tl+=" $t:$c"; fi ;;
          esac
        done
        step "$w" --targets "${tl# }" --paths "${WL_PATH[$w]}" --connections "$CONNS" --nbackends "$NBACKENDS"
        TABLE+=$'\n'"**$w** — ${WL_PATH[$w]}, configs: $c"$'\n\n'$(grep -E '^\||÷' "$WORK/step-$w.md")$'\n'
      done
      SETTINGS="each workload a separate run with fresh servers; wrk -c$CONNS" ;;
    CONNS_LIST)
      path=/small; (( PATHS_SET )) && path=${PATHS%% *}
      rows=""
      for n in $CONNS_LIST; do
        [[ $n =~ ^[0-9]+$ ]] && (( n >= THREADS )) || die "--conns: $n is not a connection count"
        step "c$n" --targets "$base_targets" --paths "$path" --connections "$n" --nbackends "$NBACKENDS"
        rows+=$(step_rows "c$n" | sed 's/^c//')$'\n'
      done
      TABLE=$'\n'"**keep-alive client connections** — $path, wrk -c N (one thread), $NBACKENDS backend(s)"$'\n\n'
      TABLE+=$(printf '%s' "$rows" | pivot "" "req/s:3 p99_ms:4 peak_RSS_MiB:6" "$CONNS_LIST" conns)
      SETTINGS="each connection count a separate run with fresh servers (peak RSS of that run)" ;;
    BACKENDS_LIST)
      path=/small; (( PATHS_SET )) && path=${PATHS%% *}
      rows=""
      for k in $BACKENDS_LIST; do
        [[ $k =~ ^[0-9]+$ ]] && (( k >= 1 && k <= 64 )) || die "--backends: $k is not 1..64"
        step "b$k" --targets "$base_targets" --paths "$path" --connections "$CONNS" --nbackends "$k"
        rows+=$(step_rows "b$k" | sed 's/^b//')$'\n'
      done
      TABLE=$'\n'"**backends behind round robin** — $path, wrk -c$CONNS, K backends (bench/backend, all on CPU$SERVER_CPU)"$'\n\n'
      TABLE+=$(printf '%s' "$rows" | pivot "" "proxy_CPU_µs/req:5 req/s:3" "$BACKENDS_LIST" backends)
      SETTINGS="each backend count a separate run with fresh servers; wrk -c$CONNS" ;;
  esac
  first=$(ls "$WORK"/step-*.md | head -1)
  REPORT=$(cat <<EOF
### $(date -u '+%Y-%m-%d %H:%M UTC') — \`$CMDLINE\`

$(grep -E '^- (machine|versions):' "$first")
- settings: $ROUNDS rounds × ${DURATION} s per target, wrk -t$THREADS pinned to CPU$LOAD_CPU; backends and every server pinned to CPU$SERVER_CPU (nginx worker_processes 1, haproxy nbthread 1, Go GOMAXPROCS=1); $SETTINGS; $NOISY_RULE
$TABLE
EOF
)
  echo "$REPORT"
  if (( APPEND )); then printf '\n%s\n' "$REPORT" >>"$BENCH/RESULTS.md"; say "appended to bench/RESULTS.md"; fi
  (( KEEP )) && say "step reports: $WORK/step-*.md"
  exit 0
fi

# backends on BASE_PORT .. BASE_PORT+K-1, every other server from BASE_PORT+20
PORT[backend]=$BASE_PORT PORT[direct]=$BASE_PORT
i=20
for t in "${TL[@]}"; do [[ $t == direct ]] || { PORT[$t]=$((BASE_PORT + i)); i=$((i + 1)); }; done

declare -a BACKEND_PIDS=()
for b in $(seq 0 $((NBACKENDS - 1))); do
  PORT[backend$b]=$((BASE_PORT + b))
  start "backend$b" "$WORK/backend$b.log" "$WORK/backend" -listen "127.0.0.1:${PORT[backend$b]}" -name "bench$b"
  BACKEND_PIDS+=("${PID[backend$b]}")
done
PID[backend]=${PID[backend0]} PID[direct]=${PID[backend0]}
for t in "${TL[@]}"; do start_target "$t"; done
say "started: $NBACKENDS backend(s) on CPU$SERVER_CPU port ${PORT[backend]}..; $(for t in "${TL[@]}"; do printf '%s:%s ' "$t" "${PORT[$t]}"; done); wrk on CPU$LOAD_CPU"

VERSIONS="$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'); $(go version | awk '{ print $3 }'); ${PREMIER_VERSION:-premier not run}${PREMIER_B_VERSION:-}; fasthttp $(awk '$1 == "github.com/valyala/fasthttp" { print $2 }' "$ROOT/go.mod")"
for t in "${TL[@]}"; do
  case $t in
    "$REF") VERSIONS+="; nginx $(nginx -v 2>&1 | sed 's#.*/##')" ;;
    haproxy|haproxy:*) [[ $VERSIONS == *haproxy* ]] || VERSIONS+="; haproxy $(haproxy -v | awk 'NR == 1 { print $3 }')" ;;
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
- settings: $ROUNDS rounds × ${DURATION} s per target and path, wrk -t$THREADS -c$CONNS pinned to CPU$LOAD_CPU; backend and every server pinned to CPU$SERVER_CPU (nginx worker_processes 1, haproxy nbthread 1, Go GOMAXPROCS=1); $NBACKENDS backend(s), round robin;${TLS_NOTE:-} $NOISY_RULE
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
