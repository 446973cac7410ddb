#!/usr/bin/env bash
# A rate-limited endpoint against a real nsqd: nginx limit_req (RATE r/s, burst BURST, 429 without Retry-After) in
# front of an endpoint answering 200. MESSAGES messages are published first, then drained by one bridge at a time:
# nsq-push with no setting, nsq-push with --push.rate-limit=RATE, nsq_to_http (its defaults). Reported per run: the
# requests nginx refused (429), the ones it passed, and the drain time from the bridge's start until the channel is
# empty (depth, in flight and deferred 0), against the ideal MESSAGES/RATE.
#
#   mvn -q -DskipTests package && bench/rate-limit.sh
#   MESSAGES=1000 RATE=50 bench/rate-limit.sh
#
# Needs nsqd and nsq_to_http (NSQ v1.3.0), nginx (Debian's package: apt-get install -y nginx), python3 and curl.
set -euo pipefail

MESSAGES=${MESSAGES:-3000}
RATE=${RATE:-100}
BURST=${BURST:-20}
DRAIN_LIMIT=${DRAIN_LIMIT:-150}
cd "$(dirname "$0")/.."
for tool in nsqd nsq_to_http nginx python3 curl; do
    command -v "$tool" >/dev/null || { echo "rate-limit.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "rate-limit.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-rate.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port); front=$(free_port); back=$(free_port)
pids=()
cleanup() {
    status=$?; [ $status = 0 ] || echo "rate-limit.sh: exit $status at line ${BASH_LINENO[0]}" >&2
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
daemon on;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
    limit_req_zone \$server_port zone=push:1m rate=${RATE}r/s;
    limit_req_status 429;
    upstream endpoint { server 127.0.0.1:$back; keepalive 64; }
    server {
        listen 127.0.0.1:$front;
        location / {
            limit_req zone=push burst=$BURST;
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://endpoint;
        }
    }
    server {
        listen 127.0.0.1:$back;
        access_log off;
        location / { return 200 "ok"; }
    }
}
EOF
nginx -c "$work/nginx.conf" -p "$work/nginx"
nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.2; done

backlog() {
    curl -s "http://127.0.0.1:$http/stats?format=json&topic=$1" | python3 -c '
import json, sys
for t in json.load(sys.stdin).get("topics") or []:
    for c in t["channels"]:
        print(c["depth"] + c["in_flight_count"] + c["deferred_count"]); sys.exit()
print(-1)'
}
count() { awk -v s="$2" '$9 == s' "$work/nginx/access.log" | grep -c "$1" || true; }

printf '| bridge | 429 refused | passed | refused per message | drain time (s) | x ideal (%.0f s) |\n|---|---|---|---|---|---|\n' \
    "$(python3 -c "print($MESSAGES/$RATE)")"
run() { # name, topic, command...
    local name=$1 topic=$2; shift 2
    curl -s -X POST "http://127.0.0.1:$http/topic/create?topic=$topic" >/dev/null
    curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$topic&channel=bench" >/dev/null
    python3 -c "import sys; sys.stdout.write(''.join('m%d\n' % i for i in range($MESSAGES)))" \
        | curl -s --data-binary @- "http://127.0.0.1:$http/mpub?topic=$topic" >/dev/null
    sleep 1.1 # nginx's bucket is full again
    local start; start=$(date +%s.%N)
    "$@" >"$work/$name.log" 2>&1 &
    local pid=$!; pids+=($pid)
    local left
    while left=$(backlog "$topic"); [ "$left" != 0 ]; do
        if python3 -c "import sys,time; sys.exit(0 if time.time()-$start > $DRAIN_LIMIT else 1)"; then break; fi
        sleep 0.1
    done
    local end; end=$(date +%s.%N)
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    local refused passed
    refused=$(count "/$topic" 429); passed=$(count "/$topic" 200)
    python3 -c "
m, r, p, s, e, left = $MESSAGES, $refused, $passed, $start, $end, $left
t = '%.1f' % (e - s) if left == 0 else '>%d (%d left)' % ($DRAIN_LIMIT, left)
print('| $name | %d | %d | %.2f | %s | %s |' % (r, p, r / m, t, '%.2f' % ((e - s) / (m / $RATE)) if left == 0 else '-'))"
}
bridge() { # topic, extra flags
    local topic=$1; shift
    exec ./nsq-push --nsqd-tcp-address=127.0.0.1:$tcp --topic="$topic" --channel=bench \
        --post="http://127.0.0.1:$front/$topic" --camel.management.port=0 --routes.reload-enabled=false "$@"
}
run "nsq-push (adaptive)" adaptive bridge adaptive
run "nsq-push --push.rate-limit=$RATE" limited bridge limited --push.rate-limit=$RATE
run "nsq_to_http" tohttp nsq_to_http --nsqd-tcp-address=127.0.0.1:$tcp --topic=tohttp --channel=bench \
    --post="http://127.0.0.1:$front/tohttp"
