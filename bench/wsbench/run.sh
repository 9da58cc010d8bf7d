#!/usr/bin/env bash
# WebSocket echo benchmark: the same echo backend reached directly, through
# Premier, through nginx (if installed) and through a proxy built on
# github.com/fasthttp/websocket on both sides (bench/wsbench libproxy), in
# one run; then memory per idle connection with IDLE connections held open.
#
#   bench/wsbench/run.sh                 # defaults below
#   CONNS=64 N=2000 SIZE=64 IDLE=9900 bench/wsbench/run.sh
#   PREMIER_BIN=/path/to/premier ONLY=premier ECHO=0 bench/wsbench/run.sh
#
# ONLY limits the targets (e.g. "direct premier"); ECHO=0 / IDLE=0 skip a part.
#
# Proxies get one CPU's worth of threads (nginx: 1 worker; Go: GOMAXPROCS=1).
# IDLE defaults to 9900: the gateway holds two descriptors per connection
# and this machine's hard open-files limit is 20000.
set -euo pipefail
CONNS=${CONNS:-64} N=${N:-2000} SIZE=${SIZE:-64} IDLE=${IDLE:-9900} HOLD=${HOLD:-4s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

B=19101 P=19102 X=19103 L=19104
(cd "$ROOT" && { [[ -n ${PREMIER_BIN:-} ]] && cp "$PREMIER_BIN" "$W/premier" || go build -o "$W/premier" .; } && go build -o "$W/backend" ./bench/backend && go build -o "$W/wsbench" ./bench/wsbench)

"$W/backend" -listen 127.0.0.1:$B -name app1 >"$W/backend.log" 2>&1 & PIDS+=($!)
cat >"$W/premier.yaml" <<YAML
premier:
  listen: "127.0.0.1:$P"
  servers: ["http://127.0.0.1:$B"]
  paths:
    - pattern: /ws/*
      features:
        websocket: {max_message_bytes: 1048576, idle_timeout: 300}
YAML
GOMAXPROCS=1 "$W/premier" -config "$W/premier.yaml" >"$W/premier.log" 2>&1 & PREMIER=$!; PIDS+=($PREMIER)
GOMAXPROCS=1 "$W/wsbench" libproxy -listen 127.0.0.1:$L -backend ws://127.0.0.1:$B >"$W/lib.log" 2>&1 & LIB=$!; PIDS+=($LIB)
NGINX_PID=""
if command -v nginx >/dev/null; then
  mkdir -p "$W/nginx"
  cat >"$W/nginx/nginx.conf" <<NGX
worker_processes 1;
$([[ $EUID == 0 ]] && echo "user root;")
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy;
  fastcgi_temp_path $W/nginx/fcgi; uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
  server {
    listen 127.0.0.1:$X backlog=4096;
    location / {
      proxy_pass http://127.0.0.1:$B;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection upgrade;
      proxy_read_timeout 300s;
    }
  }
}
NGX
  nginx -c "$W/nginx/nginx.conf" -p "$W/nginx"
  sleep 0.3
  NGINX_PID=$(pgrep -P "$(cat "$W/nginx/nginx.pid")" | head -1)
  PIDS+=("$(cat "$W/nginx/nginx.pid")")
fi
sleep 0.5

declare -A URL=([direct]=$B [premier]=$P [libproxy]=$L)
ORDER="direct premier libproxy"
[[ -n $NGINX_PID ]] && { URL[nginx]=$X; ORDER="direct premier nginx libproxy"; }

[[ -n ${ONLY:-} ]] && ORDER=$ONLY
if [[ ${ECHO:-1} != 0 ]]; then
echo "# echo: $CONNS connections x $N round trips, $SIZE-byte messages"
for round in 1 2; do
  for t in $ORDER; do
    printf '%-9s ' "$t"; "$W/wsbench" echo -url "ws://127.0.0.1:${URL[$t]}/ws/echo" -c "$CONNS" -n "$N" -size "$SIZE"
  done
done
fi

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle() { # name pid port
  local before after i
  # Let the previous run's TIME_WAIT sockets expire: 2 x IDLE ephemeral ports each.
  for ((i = 0; i < 90; i++)); do (( $(ss -tan state time-wait | wc -l) < 2000 )) && break; sleep 1; done
  before=$(rss "$2")
  "$W/wsbench" idle -url "ws://127.0.0.1:$3/ws/echo" -c "$IDLE" -hold "$HOLD" >"$W/idle.out" &
  local cpid=$!
  until grep -q open= "$W/idle.out" 2>/dev/null; do kill -0 $cpid 2>/dev/null || { cat "$W/idle.out"; return 1; }; sleep 0.2; done
  sleep 1; after=$(rss "$2")
  wait $cpid
  echo "$1 idle: $(grep -o 'open=[0-9]*' "$W/idle.out") $(grep -o 'alive_after_hold=[0-9]*' "$W/idle.out") rss_before_kib=$before rss_open_kib=$after per_conn_kib=$(( (after - before) / IDLE )).$(( ((after - before) * 10 / IDLE) % 10 ))"
  sleep 2
}
[[ $IDLE == 0 ]] && exit 0
echo "# memory per idle connection ($IDLE connections held open, RSS of the proxy process)"
[[ " $ORDER " == *" premier "* ]] && idle premier "$PREMIER" $P
[[ -n $NGINX_PID && " $ORDER " == *" nginx "* ]] && idle nginx "$NGINX_PID" $X
[[ " $ORDER " == *" libproxy "* ]] && idle libproxy "$LIB" $L
true
