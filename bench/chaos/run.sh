#!/usr/bin/env bash
# bench/chaos/run.sh — kill and restart a backend under load.
#
# Three demo backends behind Premier (round robin, retry on another backend,
# circuit breaker, active health checks); wrk drives load through the
# gateway; one backend is killed mid-run and restarted later. Reports the
# requests that failed (target: none beyond those in flight at the kill),
# the time until traffic reached the restarted backend again, and the
# gateway's view of the backends.
#
# Usage: bench/chaos/run.sh [DURATION_S] [KILL_AT_S] [RESTART_AT_S]   (default 20 5 12)
# Environment: BASE_PORT (default 19500), CONNS (default 32), PREMIER_BIN.
set -euo pipefail
DURATION=${1:-20}
KILL_AT=${2:-5}
RESTART_AT=${3:-12}
BASE=${BASE_PORT:-19500}
CONNS=${CONNS:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)" >&2; exit 1; }
if [ -n "${PREMIER_BIN:-}" ]; then cp "$PREMIER_BIN" "$WORK/premier"; else (cd "$ROOT" && go build -o "$WORK/premier" .); fi
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend)

start_backend() { # $1 = index 1..3
  "$WORK/backend" -listen "127.0.0.1:$((BASE + $1))" -name "b$1" >"$WORK/b$1.log" 2>&1 &
  BPID[$1]=$!
  PIDS+=("$!")
}
declare -A BPID
for i in 1 2 3; do start_backend "$i"; done

cat >"$WORK/gw.yaml" <<YAML
premier:
  servers: ["http://127.0.0.1:$((BASE + 1))", "http://127.0.0.1:$((BASE + 2))", "http://127.0.0.1:$((BASE + 3))"]
  lb:
    algorithm: round_robin
    health_check: {path: /healthz, interval: 0.5, timeout: 0.5, healthy_threshold: 1, unhealthy_threshold: 2}
  default_features:
    timeout: {seconds: 5}
    retry: {max_attempts: 3, wait: 0}
    circuit_breaker: {failure_threshold: 3, recovery_timeout: 2}
YAML
"$WORK/premier" -config "$WORK/gw.yaml" -listen "127.0.0.1:$BASE" >"$WORK/premier.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$BASE/small" >/dev/null 2>&1 && break; sleep 0.1; done

wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$ROOT/bench/wrk/report.lua" "http://127.0.0.1:$BASE/small" >"$WORK/wrk.out" 2>&1 &
WRK=$!
PIDS+=("$WRK")
sleep "$KILL_AT"
kill -9 "${BPID[2]}"
wait "${BPID[2]}" 2>/dev/null || true
echo "t=${KILL_AT}s: killed backend b2 (SIGKILL)"
sleep $((RESTART_AT - KILL_AT))
start_backend 2
restarted=$(date +%s.%N)
echo "t=${RESTART_AT}s: restarted backend b2"
recovered=""
for _ in $(seq 300); do
  if curl -fs -D - "http://127.0.0.1:$BASE/small" -o /dev/null 2>/dev/null | grep -qi '^x-backend: b2'; then
    recovered=$(date +%s.%N); break
  fi
  sleep 0.05
done
wait "$WRK" || true

line=$(grep WRKRESULT "$WORK/wrk.out" || true)
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
echo
echo "| requests | req/s | socket errors | non-2xx | p99 ms | time to recover |"
echo "|---:|---:|---:|---:|---:|---:|"
rec="never"
[ -n "$recovered" ] && rec=$(awk -v a="$restarted" -v b="$recovered" 'BEGIN{printf "%.2f s", b-a}')
awk -v r="$(get requests)" -v q="$(get rps)" -v e="$(get errors)" -v n="$(get non2xx)" -v p="$(get p99_us)" -v t="$rec" \
  'BEGIN{printf "| %d | %.0f | %d | %d | %.2f | %s |\n", r, q, e, n, p/1000, t}'
echo
echo "gateway log (breaker and health changes):"
grep -E "circuit breaker|health|backend request failed" "$WORK/premier.log" | sed 's/^/  /' | head -20 || true
