#!/usr/bin/env bash
# bench/pair.sh — two gateways' CPU per request, measured at the same time.
#
# Starts the bench backend and two premier processes (A and B), all three
# pinned to CPU1 with GOMAXPROCS=1, and loads both at once from CPU0 with
# bench/pairstat (the same keep-alive connections to each), reading each
# process's CPU time and answers every second. A slow second of the machine
# slows both sides alike, so the windows' ratios B ÷ A hold still where two
# runs taken in turn (bench/run.sh, bench/abstat.sh) swing by ±30% here.
# Run it with A = B first to see the method's own spread (an A/A ratio).
#
# Usage: bench/pair.sh [-d SECONDS] [-p PATH] [-c CONNS] [-r RATE] A B
#   A, B: BINARY:CONFIG — a premier binary and a bench/configs name (without
#   .yaml) or a path to a .yaml file; BINARY may be "." for one built from
#   the working tree. Default -d 60 -p /small -c 16; -r paces each gateway
#   at RATE requests a second (default: as fast as they answer).
#   Example: bench/pair.sh .:passthrough .:accesslog
# Runs two halves of -d/2 seconds with fresh processes, the second with the
# sides swapped, and prints both halves' windows (stderr) and a PAIR line:
# B ÷ A from both halves together. Linux only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DUR=60 P=/small CONNS=16 RATE=0
while getopts d:p:c:r: o; do
  case $o in d) DUR=$OPTARG ;; p) P=$OPTARG ;; c) CONNS=$OPTARG ;; r) RATE=$OPTARG ;; *) sed -n '2,20p' "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
(($# == 2)) || { sed -n '2,20p' "$0"; exit 2; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/backend && go build -o "$WORK/pairstat" ./bench/pairstat)
BACKEND=18520
taskset -c 1 "$WORK/backend" -listen "127.0.0.1:$BACKEND" >"$WORK/backend.log" 2>&1 &
# half FIRST SECOND: fresh gateways for the two specs, FIRST loaded as
# pairstat's A; prints the PAIRSTAT line.
half() {
  local pids=() addrs=() names=() i=0 spec bin cfg port a
  for spec in "$@"; do
    bin=${spec%%:*} cfg=${spec#*:}
    if [[ $bin == . || -z $bin ]]; then
      [[ -x $WORK/premier ]] || (cd "$ROOT" && go build -o "$WORK/premier" .)
      bin=$WORK/premier
    fi
    [[ $cfg == */* || $cfg == *.yaml ]] || cfg=$ROOT/bench/configs/$cfg.yaml
    port=$((18521 + i))
    sed -e "s#127\.0\.0\.1:9001#127.0.0.1:$BACKEND#g" -e "s#127\.0\.0\.1:8000#127.0.0.1:$port#g" \
      -e "s#/tmp/premier-bench-access\.log#$WORK/access$i.log#g" "$cfg" >"$WORK/gw$i.yaml"
    GOMAXPROCS=1 taskset -c 1 "$bin" -config "$WORK/gw$i.yaml" >"$WORK/gw$i.log" 2>&1 &
    pids+=($!) addrs+=("127.0.0.1:$port") names+=("$(basename "$bin"):$(basename "$cfg" .yaml)")
    i=$((i + 1))
  done
  for a in "${addrs[@]}"; do
    for _ in $(seq 50); do curl -fso /dev/null "http://$a$P" && break; sleep 0.1; done
  done
  echo "# A = ${names[0]}, B = ${names[1]}, path $P, $CONNS connections each, rate ${RATE/#0/unpaced}, $HALF s" >&2
  taskset -c 0 "$WORK/pairstat" -a "${addrs[0]}" -apid "${pids[0]}" -b "${addrs[1]}" -bpid "${pids[1]}" \
    -path "$P" -c "$CONNS" -rate "$RATE" -d "${HALF}s" | tee -a "$WORK/out" >&2
  kill "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
}
HALF=$((DUR / 2))
half "$1" "$2"
half "$2" "$1"
# The second half has the sides swapped: B÷A is the geometric mean of the
# first half's ratio and the inverse of the second's (start order, ports
# and the load's start order cancel out).
awk '/^PAIRSTAT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    split(v["ci95"], ci, "-"); n++
    if (n == 1) { t1 = v["totals"]; m1 = v["median"]; l1 = ci[1]; h1 = ci[2]; w1 = v["windows"] }
    else { t2 = v["totals"]; m2 = v["median"]; l2 = ci[1]; h2 = ci[2]; w2 = v["windows"] }
  }
  END {
    if (n != 2) { print "pair.sh: a half did not finish"; exit 1 }
    printf "PAIR B/A totals=%.3f median=%.3f ci95=%.3f-%.3f windows=%d (first half %.3f, second half inverted %.3f)\n",
      sqrt(t1 / t2), sqrt(m1 / m2), sqrt(l1 / h2), sqrt(h1 / l2), w1 + w2, m1, 1 / m2
  }' "$WORK/out"
