#!/usr/bin/env bash
# bench/chaos/run.sh — faults under load, one wrk run per phase:
#
#   backends  one of three demo backends is killed (SIGKILL) and restarted
#             (round robin, retry on another backend, circuit breaker,
#             active health checks);
#   redis     the Redis that holds the shared rate-limit counters is killed
#             (SIGKILL) and restarted on the same port (fail_open);
#   reloads   20 SIGHUP reloads, alternating two configs;
#   upgrades  3 SIGUSR2 binary upgrades (the binary replaced by a fresh
#             copy each time): each new process takes the listening socket,
#             the old one drains and exits. Besides wrk's keep-alive
#             connections, the project's own generator (bench/loadgen) runs
#             32 connections, half of them new for each request, and counts
#             each request exactly (its own row).
#
# For each phase it reports the requests sent, the failed ones (a response
# other than 2xx) and the lost ones (wrk's socket errors: connect, read,
# write, timeout). Target: none failed or lost beyond requests in flight
# on a killed backend (retries cover those too).
#
# Usage: bench/chaos/run.sh [PHASE_S]   (default 15: each fault at 1/4, recovery at 3/5)
# Environment: BASE_PORT (default 19500), CONNS (default 32), PREMIER_BIN,
# KEEP_WORK=1 keeps the logs (gateway, backends, redis, wrk) for a look.
# Everything it starts (backends, its own redis-server on BASE_PORT+10, the
# gateway, wrk) is stopped on exit; no system service is touched.
set -euo pipefail
PHASE=${1:-15}
BASE=${BASE_PORT:-19500}
CONNS=${CONNS:-32}
REDIS_PORT=$((BASE + 10))
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # after an upgrade the gateway is a process this shell did not start
  [ -f "$WORK/premier.pid" ] && kill "$(cat "$WORK/premier.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

for tool in wrk redis-server curl; do
  command -v "$tool" >/dev/null || { echo "$tool is required (make deps; apt-get install -y wrk redis-server curl)" >&2; exit 1; }
done
if [ -n "${PREMIER_BIN:-}" ]; then cp "$PREMIER_BIN" "$WORK/premier"; else (cd "$ROOT" && go build -o "$WORK/premier" .); fi
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend && go build -o "$WORK/loadgen" ./bench/loadgen)

declare -A BPID
start_backend() { # $1 = index 1..3
  "$WORK/backend" -listen "127.0.0.1:$((BASE + $1))" -name "b$1" >"$WORK/b$1.log" 2>&1 &
  BPID[$1]=$!
  PIDS+=("$!")
}
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/redis.log" 2>&1 &
  REDIS=$!
  PIDS+=("$REDIS")
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}
for i in 1 2 3; do start_backend "$i"; done
start_redis

write_config() { # $1 = per-try timeout seconds (the reload phase alternates it)
  cat >"$WORK/gw.yaml.tmp" <<YAML
premier:
  servers: ["http://127.0.0.1:$((BASE + 1))", "http://127.0.0.1:$((BASE + 2))", "http://127.0.0.1:$((BASE + 3))"]
  redis: {url: "redis://127.0.0.1:$REDIS_PORT/0", timeout: 0.05, fail_open: true}
  lb:
    algorithm: round_robin
    health_check: {path: /healthz, interval: 0.5, timeout: 0.5, healthy_threshold: 1, unhealthy_threshold: 2}
  default_features:
    timeout: {seconds: $1}
    retry: {max_attempts: 3, wait: 0}
    circuit_breaker: {failure_threshold: 3, recovery_timeout: 2}
    rate_limit: {quota: 200000, duration: 1, key: "{client_ip}"}
YAML
  mv "$WORK/gw.yaml.tmp" "$WORK/gw.yaml"
}
write_config 5
"$WORK/premier" -config "$WORK/gw.yaml" -listen "127.0.0.1:$BASE" -pidfile "$WORK/premier.pid" >"$WORK/premier.log" 2>&1 &
GW=$!
PIDS+=("$GW")
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$BASE/small" >/dev/null 2>&1 && break; sleep 0.1; done

FAULT_AT=$((PHASE / 4))
RECOVER_AT=$((PHASE * 3 / 5))
ROWS=()
start_wrk() { # $1 = phase name
  wrk -t1 -c"$CONNS" -d"${PHASE}s" -s "$ROOT/bench/wrk/report.lua" "http://127.0.0.1:$BASE/small" >"$WORK/wrk-$1.out" 2>&1 &
  WRK=$!
  PIDS+=("$WRK")
  PHASE_START=$(date +%s.%N)
}
at() { # sleep until $1 seconds into the phase
  local left
  left=$(awk -v s="$PHASE_START" -v now="$(date +%s.%N)" -v t="$1" 'BEGIN{d=s+t-now; print (d>0)?d:0}')
  sleep "$left"
}
finish_wrk() { # $1 = phase name, $2 = note
  wait "$WRK" || true
  local line get
  line=$(grep WRKRESULT "$WORK/wrk-$1.out" || true)
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  ROWS+=("$(awk -v ph="$1" -v r="$(get requests)" -v q="$(get rps)" -v n="$(get non2xx)" -v e="$(get errors)" -v p="$(get p99_us)" -v note="$2" \
    'BEGIN{printf "| %s | %d | %.0f | %d | %d | %.2f | %s |", ph, r, q, n, e, p/1000, note}')")
}

# Phase 1: kill and restart a backend.
start_wrk backends
at "$FAULT_AT"
kill -9 "${BPID[2]}"; wait "${BPID[2]}" 2>/dev/null || true
echo "backends: t=${FAULT_AT}s killed backend b2 (SIGKILL)"
at "$RECOVER_AT"
start_backend 2
restarted=$(date +%s.%N)
echo "backends: t=${RECOVER_AT}s restarted backend b2"
recovered=""
for _ in $(seq 300); do
  if curl -fs -D - "http://127.0.0.1:$BASE/small" -o /dev/null 2>/dev/null | grep -qi '^x-backend: b2'; then
    recovered=$(date +%s.%N); break
  fi
  sleep 0.05
done
rec="b2 never served again"
[ -n "$recovered" ] && rec=$(awk -v a="$restarted" -v b="$recovered" 'BEGIN{printf "b2 serving again %.2f s after restart", b-a}')
finish_wrk backends "$rec"

# Phase 2: kill and restart Redis.
start_wrk redis
at "$FAULT_AT"
kill -9 "$REDIS"; wait "$REDIS" 2>/dev/null || true
echo "redis: t=${FAULT_AT}s killed redis-server (SIGKILL)"
at "$RECOVER_AT"
start_redis
echo "redis: t=${RECOVER_AT}s restarted redis-server on the same port"
finish_wrk redis "limiter keys in Redis after restart: $(redis-cli -p "$REDIS_PORT" dbsize 2>/dev/null || echo '?')"

# Phase 3: 20 SIGHUP reloads spread over the phase.
start_wrk reloads
for i in $(seq 20); do
  at "$(awk -v i="$i" -v p="$PHASE" 'BEGIN{print p*0.8*i/20}')"
  if [ $((i % 2)) = 1 ]; then write_config 4; else write_config 5; fi
  kill -HUP "$GW"
done
echo "reloads: sent 20 SIGHUPs"
finish_wrk reloads "$(grep -c 'reason=SIGHUP' "$WORK/premier.log" | awk '{print $1 " reloads applied"}'), $(grep -c 'reload rejected' "$WORK/premier.log" || true) rejected"

# Phase 4: 3 SIGUSR2 binary upgrades, each with a fresh copy of the binary
# renamed over the running one's path (as a package upgrade does).
start_wrk upgrades
"$WORK/loadgen" -addr "127.0.0.1:$BASE" -path /small -keepalive 16 -new 16 -d "${PHASE}s" >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" &
LG=$!
PIDS+=("$LG")
pids=("$(cat "$WORK/premier.pid")")
for i in 1 2 3; do
  at "$(awk -v i="$i" -v p="$PHASE" 'BEGIN{print p*(0.05+0.25*i)}')"
  cp "$WORK/premier" "$WORK/premier.new" && mv "$WORK/premier.new" "$WORK/premier"
  old=$(cat "$WORK/premier.pid")
  kill -USR2 "$old"
  for _ in $(seq 200); do [ "$(cat "$WORK/premier.pid")" != "$old" ] && break; sleep 0.05; done
  for _ in $(seq 200); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done
  pids+=("$(cat "$WORK/premier.pid")")
done
echo "upgrades: sent 3 SIGUSR2s, processes ${pids[*]}"
GW=$(cat "$WORK/premier.pid")
finish_wrk upgrades "$(grep -c 'upgrade: new process ready' "$WORK/premier.log") upgrades, $(grep -c 'upgrade failed' "$WORK/premier.log" || true) failed; processes ${pids[*]}"
wait "$LG" || true
lg=$(grep LOADGEN "$WORK/loadgen.out" || true)
lgget() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$lg"; }
ROWS+=("$(awk -v r="$(lgget sent)" -v q="$(lgget rps)" -v n="$(lgget failed)" -v e="$(lgget conn_errors)" -v c="$(lgget conns)" \
  'BEGIN{printf "| upgrades (loadgen) | %d | %.0f | %d | %d | | 16 keep-alive + 16 new-connection clients, %d connections opened |", r, q, n, e, c}')")

echo
echo "| phase | requests sent | req/s | failed (non-2xx) | lost (socket errors) | p99 ms | |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "gateway log (breakers, health, Redis, reloads):"
grep -E "circuit breaker|health|backend request failed|redis|Redis|reload|upgrade" "$WORK/premier.log" | grep -v 'msg="config reloaded"' | sed 's/^/  /' | head -20 || true
kill -TERM "$GW" # a grandchild after the upgrades: watched, not waited for
for _ in $(seq 200); do kill -0 "$GW" 2>/dev/null || break; sleep 0.05; done
if [ "$(grep -c 'premier stopped cleanly' "$WORK/premier.log")" = 4 ] && [ ! -e "$WORK/premier.pid" ]; then
  echo "gateway: SIGTERM, stopped cleanly (and each of the 3 upgraded-away processes before it), pidfile removed"
else
  echo "gateway: no clean stop after SIGTERM (see $WORK/premier.log)"
fi
