#!/usr/bin/env bash
# A message under BACKOFF_RETRY against a real nsqd: the endpoint always answers 500; measured are the times of its
# requests (the endpoint's log) and of nsqd's REQs and redeliveries (its /stats, polled every 100 ms), then the dead
# letter. Takes 30-60 s (3 retries after a random 10-20 s each). A manual measurement, not part of the test suite.
#
#   mvn -q -DskipTests package && bench/retry-policy.sh
#   POLICY=EXPONENTIAL_DECAY_RETRY RETRIES=6 bench/retry-policy.sh    # the first 6 retries (1+2+4+8+16+32 s) only
#
# Needs nsqd and nsq_tail on PATH (NSQ v1.3.0), python3 and curl.
set -euo pipefail

POLICY=${POLICY:-BACKOFF_RETRY}
RETRIES=${RETRIES:-}
TOPIC=retry
cd "$(dirname "$0")/.."
for tool in nsqd nsq_tail python3 curl; do
    command -v "$tool" >/dev/null || { echo "retry-policy.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "retry-policy.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-retry.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port); endpoint=$(free_port); management=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# the endpoint: 500 to everything, one line per request: <epoch ms> <x-cmq-message-id>
cat >"$work/endpoint.py" <<'EOF'
import sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
out = open(sys.argv[2], "a", buffering=1)
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out.write("%d %s\n" % (time.time() * 1000, self.headers.get("x-cmq-message-id")))
        self.send_response(500); self.send_header("Content-Length", "4"); self.end_headers(); self.wfile.write(b"fail")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
python3 "$work/endpoint.py" "$endpoint" "$work/requests.txt" & pids+=($!)
nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.1; done
curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$TOPIC&channel=nsq-push" >/dev/null

./nsq-push --nsq.topic=$TOPIC --nsq.nsqd-tcp-addresses=127.0.0.1:$tcp --push.url=http://127.0.0.1:$endpoint/push \
    --push.retry-policy="$POLICY" --push.redeliveries=0 --status.interval=0 --routes.reload-enabled=false \
    --camel.management.host=127.0.0.1 --camel.management.port=$management >"$work/nsq-push.log" 2>&1 &
pids+=($!)
until grep -q "subscription - $TOPIC/nsq-push" "$work/nsq-push.log"; do sleep 0.1; done
grep -o "retries: .*" "$work/nsq-push.log" | head -1

# /stats every 100 ms: <epoch ms> <requeue_count> <deferred_count> <in_flight> <dead letters>, a line on each change
cat >"$work/poll.py" <<'EOF'
import json, sys, time, urllib.request
url, topic, out = sys.argv[1], sys.argv[2], open(sys.argv[3], "a", buffering=1)
last = None
while True:
    stats = json.load(urllib.request.urlopen(url + "/stats?format=json"))
    row = [0, 0, 0, 0]
    for t in stats["topics"]:
        if t["topic_name"] == topic:
            for c in t["channels"]:
                if c["channel_name"] == "nsq-push":
                    row[0:3] = [c["requeue_count"], c["deferred_count"], c["in_flight_count"]]
        if t["topic_name"] == topic + ".dead-letter":
            row[3] = t["message_count"]
    if row != last:
        out.write("%d %s\n" % (time.time() * 1000, " ".join(map(str, row))))
        last = row
    time.sleep(0.1)
EOF
python3 "$work/poll.py" "http://127.0.0.1:$http" $TOPIC "$work/stats.txt" & pids+=($!)
start=$(python3 -c 'import time; print(int(time.time()*1000))')
curl -s -d "always rejected" "http://127.0.0.1:$http/pub?topic=$TOPIC" >/dev/null

if [ -n "$RETRIES" ]; then
    until [ "$(wc -l <"$work/requests.txt" 2>/dev/null || echo 0)" -ge $((RETRIES + 1)) ]; do sleep 0.2; done
else
    until [ -s "$work/stats.txt" ] && [ "$(tail -1 "$work/stats.txt" | cut -d' ' -f5)" = 1 ]; do sleep 0.2; done
fi
sleep 0.5

python3 - "$work/requests.txt" "$work/stats.txt" "$start" <<'EOF'
import sys
requests = [l.split() for l in open(sys.argv[1])]
stats = [list(map(int, l.split())) for l in open(sys.argv[2])]
start = int(sys.argv[3])
print("endpoint requests (the endpoint's log; ms after the PUB, gap = the REQ delay + the redelivery):")
previous = None
for i, (ms, msg) in enumerate(requests):
    ms = int(ms)
    print("  attempt %d: %7.3f s  %s%s" % (i + 1, (ms - start) / 1000, msg,
          "" if previous is None else "  (+%.3f s)" % ((ms - previous) / 1000)))
    previous = ms
print("nsqd /stats (requeue_count, deferred, in flight, dead letters):")
for ms, requeued, deferred, in_flight, dead in stats:
    print("  %7.3f s  requeued=%d deferred=%d in_flight=%d dead_letters=%d" % ((ms - start) / 1000, requeued,
          deferred, in_flight, dead))
gaps = [(int(b[0]) - int(a[0])) / 1000 for a, b in zip(requests, requests[1:])]
print("retry gaps: " + ", ".join("%.3f s" % g for g in gaps) + "; attempts: %d, requeued: %d, dead letters: %d"
      % (len(requests), stats[-1][1], stats[-1][4]))
EOF
if [ -z "$RETRIES" ]; then
    echo "dead-letter record:"
    timeout 10 nsq_tail --nsqd-tcp-address=127.0.0.1:$tcp --topic=$TOPIC.dead-letter -n 1 2>/dev/null | tail -1
fi
grep -E "Delivery failed|Dead letter" "$work/nsq-push.log" | sed 's/^/  /' | cut -c1-220
echo "logs: $work"
