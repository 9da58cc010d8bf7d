#!/usr/bin/env bash
# bench/abstat.sh — per-request CPU, context switches and system calls of
# premier binaries under the same wrk load, taken in turns.
#
# For each round and each binary: start the bench backend (once) and the
# binary with the timeout+monitoring config, pinned to CPU1 with
# GOMAXPROCS=1; wrk -t1 -c64 on CPU0 for 7 s; after 2 s, `perf stat` on the
# gateway for 4 s. Prints per request: CPU µs (task-clock), context switches
# and read/write/recvfrom/epoll_pwait/futex/nanosleep calls.
#
# Usage: bench/abstat.sh [-r ROUNDS] BINARY...     (default 3 rounds)
# Needs wrk, perf (linux-perf) with syscall tracepoints, taskset, Go.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=3
if [[ ${1:-} == -r ]]; then ROUNDS=$2; shift 2; fi
(($#)) || { sed -n '2,13p' "$0"; exit 2; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend)
sed 's/127\.0\.0\.1:8000/127.0.0.1:18400/; s/127\.0\.0\.1:9001/127.0.0.1:18401/' \
  "$ROOT/bench/configs/timeout-monitoring.yaml" >"$WORK/gw.yaml"
taskset -c 1 "$WORK/backend" -listen 127.0.0.1:18401 >/dev/null 2>&1 &
sleep 0.5
EVENTS=task-clock,context-switches
for s in read write recvfrom epoll_pwait futex nanosleep; do EVENTS+=",syscalls:sys_enter_$s"; done
for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    GOMAXPROCS=1 taskset -c 1 "$bin" -config "$WORK/gw.yaml" >"$WORK/gw.log" 2>&1 &
    gw=$!
    sleep 0.7
    taskset -c 0 wrk -t1 -c64 -d7s http://127.0.0.1:18400/small >"$WORK/wrk.out" 2>&1 &
    load=$!
    sleep 2
    perf stat -x, -e "$EVENTS" -p "$gw" -- sleep 4 2>"$WORK/perf.out"
    wait "$load" || true
    kill "$gw"; wait "$gw" 2>/dev/null || true
    awk -F, -v b="$(basename "$bin")" -v r="$round" -v rps="$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")" '
      { v[$3] = $1 }
      END {
        n = rps * 4
        printf "round %d %-16s req/s %7.0f  cpu us/req %6.2f  cs/req %.3f", r, b, rps, v["task-clock"] * 1000 / n, v["context-switches"] / n
        split("read write recvfrom epoll_pwait futex nanosleep", s, " ")
        for (i = 1; i <= 6; i++) printf "  %s %.3f", s[i], v["syscalls:sys_enter_" s[i]] / n
        printf "\n"
      }' "$WORK/perf.out"
  done
done
