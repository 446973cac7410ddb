#!/usr/bin/env bash
# An endpoint outage against a real nsqd, nsq-push and nsq_to_http side by side with their default settings.
#
#   mvn -q -DskipTests package && bench/outage.sh            # 10-minute outage, 20 messages/s
#   OUTAGE=60 RATE=50 bench/outage.sh                        # a shorter one
#
# Needs nsqd, to_nsq and nsq_to_http on PATH (NSQ v1.3.0) and python3. Timeline: both bridges drain a topic that
# gets RATE messages/s; after BEFORE seconds the endpoint goes away (connection refused) for OUTAGE seconds while the
# publishing goes on, then comes back and publishing stops. Reported per bridge: messages delivered (distinct),
# requests the endpoint answered, dead letters (nsq-push) or messages given up (nsq_to_http), and how long after the
# endpoint came back its channel was empty (depth, in flight and deferred all 0).
set -euo pipefail

OUTAGE=${OUTAGE:-600}
RATE=${RATE:-20}
BEFORE=${BEFORE:-30}
DRAIN_LIMIT=${DRAIN_LIMIT:-900}
TOPIC=outage
cd "$(dirname "$0")/.."
for tool in nsqd to_nsq nsq_to_http python3 curl; do
    command -v "$tool" >/dev/null || { echo "outage.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "outage.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-outage.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port); endpoint=$(free_port); management=$(free_port)
pids=()
cleanup() { status=$?; [ $status = 0 ] || echo "outage.sh: exit $status at line ${BASH_LINENO[0]}" >&2; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# the endpoint: answers 200 and appends "<user agent> <message>" per request; away = not listening at all
cat >"$work/endpoint.py" <<'EOF'
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
out = open(sys.argv[2], "a", buffering=1)
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        agent = "nsq-push" if self.headers.get("User-Agent", "").startswith("nsq-push") else "nsq_to_http"
        message = json.loads(body)["msgBody"] if body.startswith("{") else body
        out.write(agent + " " + message + "\n")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
start_endpoint() { python3 "$work/endpoint.py" "$endpoint" "$work/received.txt" & endpoint_pid=$!; pids+=($!); }
stats() { curl -s "http://127.0.0.1:$http/stats?format=json&topic=$1"; }
# depth + in flight + deferred of a channel (0 when drained), or of the topic when no channel is given
backlog() {
    stats "$1" | python3 -c '
import json, sys
topics = json.load(sys.stdin).get("topics") or []
want = sys.argv[1]
for t in topics:
    if not want:
        print(t["message_count"]); break
    for c in t["channels"]:
        if c["channel_name"] == want:
            print(c["depth"] + c["in_flight_count"] + c["deferred_count"]); break
    else:
        continue
    break
else:
    print(0 if not want else -1)' "${2:-}"
}

nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
start_endpoint
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.2; done
curl -s -X POST "http://127.0.0.1:$http/topic/create?topic=$TOPIC" >/dev/null
curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$TOPIC&channel=nsq-push" >/dev/null
curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$TOPIC&channel=nsq_to_http" >/dev/null

./nsq-push --nsqd-tcp-address=127.0.0.1:$tcp --topic=$TOPIC --channel=nsq-push --post=http://127.0.0.1:$endpoint/push \
    --camel.management.host=127.0.0.1 --camel.management.port=$management --routes.reload-enabled=false \
    >"$work/nsq-push.log" 2>&1 &
pids+=($!)
nsq_to_http --nsqd-tcp-address=127.0.0.1:$tcp --topic=$TOPIC --channel=nsq_to_http \
    --post=http://127.0.0.1:$endpoint/push >"$work/nsq_to_http.log" 2>&1 &
pids+=($!)

published=$((RATE * (BEFORE + OUTAGE)))
seq 1 $published | to_nsq --nsqd-tcp-address=127.0.0.1:$tcp --topic=$TOPIC --rate=$RATE >"$work/to_nsq.log" 2>&1 &
pids+=($!)
echo "outage.sh: $published messages at $RATE/s; endpoint away from ${BEFORE}s for ${OUTAGE}s; work dir $work"
sleep "$BEFORE"
kill "$endpoint_pid"; wait "$endpoint_pid" 2>/dev/null || true
echo "outage.sh: endpoint away at $(date +%T)"
sleep "$OUTAGE"
start_endpoint
back=$(date +%s.%N)
echo "outage.sh: endpoint back at $(date +%T)"

drained_nsq_push=""; drained_nsq_to_http=""
drain_time() {  # prints seconds since the endpoint came back once the channel is empty and got something
    if [ "$(backlog $TOPIC "$1")" = 0 ] && grep -q "^$1 " "$work/received.txt"; then
        python3 -c "import time; print(f'{time.time() - $back:.1f}s')"
    elif python3 -c "import sys, time; sys.exit(0 if time.time() - $back > $DRAIN_LIMIT else 1)"; then
        echo "not within ${DRAIN_LIMIT}s"
    fi
}
until [ -n "$drained_nsq_push" ] && [ -n "$drained_nsq_to_http" ]; do
    [ -n "$drained_nsq_push" ] || drained_nsq_push=$(drain_time nsq-push)
    [ -n "$drained_nsq_to_http" ] || drained_nsq_to_http=$(drain_time nsq_to_http)
    sleep 1
done

distinct() { grep "^$1 " "$work/received.txt" | sort -u | wc -l; }
requests() { grep -c "^$1 " "$work/received.txt" || true; }
dead=$(backlog $TOPIC.dead-letter)
failed=$(curl -s "http://127.0.0.1:$management/observe/metrics" | grep -E '^nsq_push_failed_attempts_total' \
    | awk '{s += $2} END {print s + 0}')
given_up=$(grep -c "giving up" "$work/nsq_to_http.log" || true)
failed_go=$(grep -c "Handler returned error" "$work/nsq_to_http.log" || true)
printf '\n%-12s %9s %9s %9s %14s %16s %s\n' bridge published delivered requests "failed POSTs" "dead/given up" "drained after"
printf '%-12s %9s %9s %9s %14s %16s %s\n' nsq-push "$published" "$(distinct nsq-push)" "$(requests nsq-push)" \
    "$failed" "$dead" "$drained_nsq_push"
printf '%-12s %9s %9s %9s %14s %16s %s\n' nsq_to_http "$published" "$(distinct nsq_to_http)" "$(requests nsq_to_http)" \
    "$failed_go" "$given_up" "$drained_nsq_to_http"
echo "logs: $work"
