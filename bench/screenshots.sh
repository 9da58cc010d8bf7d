#!/usr/bin/env bash
# screenshots.sh: the dashboard's screenshots in docs/, taken under real
# traffic (make screenshots). It starts the demo backend and the gateway on
# loopback ports, drives wrk with bench/wrk/mix.lua (plus a trickle of 503s)
# for SCREENSHOT_LOAD_SECONDS (default 300: the live chart's whole window),
# then takes the screenshots while the load still runs, and prints the
# request rate the gateway reported. The user lookups spread over
# SCREENSHOT_USER_IDS ids (default 200) and the small static bodies are
# cached, as an edge keeps its hot content: most of the traffic is then
# answered by the gateway itself, so a two-core machine reaches the 10k
# req/s the axes are meant to be shown at. The rate is whatever the
# machine gives: on a shared machine it is far below that.
#
#   SCREENSHOT_LOAD_SECONDS=300 SCREENSHOT_OUT=docs SCREENSHOT_USER_IDS=200 WRK_THREADS=2 WRK_CONNS=64 bash bench/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LOAD=${SCREENSHOT_LOAD_SECONDS:-300}
OUT=${SCREENSHOT_OUT:-docs}
BACKEND=${SCREENSHOT_BACKEND:-127.0.0.1:19001}
GATEWAY=${SCREENSHOT_GATEWAY:-127.0.0.1:18000}
THREADS=${WRK_THREADS:-2}
CONNS=${WRK_CONNS:-64}
USER_IDS=${SCREENSHOT_USER_IDS:-200}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }

mkdir -p bin
go build -o bin/premier .
go build -o bin/demo-backend ./bench/backend

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

export PREMIER_DASHBOARD_TOKEN
PREMIER_DASHBOARD_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
cat >"$tmp/gateway.yaml" <<YAML
premier:
  listen: "$GATEWAY"
  servers: ["http://$BACKEND"]
  dashboard:
    token: "\${PREMIER_DASHBOARD_TOKEN}"
  paths:
    - pattern: "/api/users/{id}"
      features:
        cache: {expire_s: 5}
        timeout: {seconds: 5}
    - pattern: "/api/admin/*"
      features:
        rate_limit: {quota: 200, duration: 1}
    - pattern: "/static/*"
    - pattern: "/small"
      features:
        cache: {expire_s: 5}
    - pattern: "/4k"
      features:
        cache: {expire_s: 5}
    - pattern: "/status/*"
    - pattern: "/echo"
  default_features:
    timeout: {seconds: 10}
YAML

bin/demo-backend -listen "$BACKEND" -name screenshots >"$tmp/backend.log" 2>&1 &
pids+=($!)
bin/premier -config "$tmp/gateway.yaml" >"$tmp/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	curl -fs -o /dev/null "http://$GATEWAY/small" && break
	sleep 0.1
done

echo "load: wrk -t$THREADS -c$CONNS mix.lua for ${LOAD}s, then the screenshots"
wrk -t"$THREADS" -c"$CONNS" -d"$((LOAD + 120))s" -s bench/wrk/mix.lua "http://$GATEWAY" -- "$USER_IDS" >"$tmp/wrk.log" 2>&1 &
pids+=($!)
(while sleep 0.2; do curl -s -o /dev/null "http://$GATEWAY/status/503"; done) &
pids+=($!)
sleep "$LOAD"

go run ./bench/screenshots -url "http://$GATEWAY/__premier" -token "$PREMIER_DASHBOARD_TOKEN" \
	-route "/api/users/{id}" -out "$OUT"
