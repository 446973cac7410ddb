#!/usr/bin/env bash
# The trace of one delivery through the packaged jar against a real nsqd, tracing on: the endpoint answers the first
# request 500 and the second 200 (push.redeliveries=1), so the message is one CONSUMER span with two CLIENT spans;
# with ANSWERS=500 every request fails and the message is dead-lettered at once (nsq.max-attempts=1): a PRODUCER span.
# Spans are exported by OpenTelemetry's logging-otlp exporter (one OTLP JSON line per batch in the bridge's log; its
# jars go into a lib/ of a temporary directory the bridge is started in, never into the repository) and printed as a
# tree with kinds, ids, parents and durations, next to the traceparent headers the endpoint received. A manual
# measurement, not part of the test suite.
#
#   mvn -q -DskipTests package && bench/trace.sh
#   ANSWERS=200 bench/trace.sh        # the endpoint takes the first request: one CLIENT span
#   ANSWERS=500 bench/trace.sh        # two failed requests, then the dead letter
#
# Needs nsqd on PATH (NSQ v1.3.0), python3, curl, and mvn for the exporter's jars (from ~/.m2, else Maven Central).
set -euo pipefail

ANSWERS=${ANSWERS:-500 200}  # the endpoint's status for each request, the last one repeated
attempts=5
case "${ANSWERS##* }" in 2??) ;; *) attempts=1 ;; esac
TOPIC=orders
cd "$(dirname "$0")/.."
repo=$(pwd)
for tool in nsqd python3 curl mvn; do
    command -v "$tool" >/dev/null || { echo "trace.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "trace.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }
# the exporter of the SDK's own version (the pom's opentelemetry.version)
otel=$(sed -n 's|.*<opentelemetry.version>\(.*\)</opentelemetry.version>.*|\1|p' pom.xml)

work=$(mktemp -d /tmp/nsq-push-trace.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port); endpoint=$(free_port); management=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# logging-otlp and what it needs beyond the jar (jackson-core is in it)
mkdir -p "$work/lib"
for artifact in opentelemetry-exporter-logging-otlp opentelemetry-exporter-otlp-common opentelemetry-exporter-common; do
    mvn -B -q dependency:copy -Dartifact="io.opentelemetry:$artifact:$otel" -DoutputDirectory="$work/lib" \
        >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 2; }
done

# the endpoint: the statuses of ANSWERS in turn, the last repeated; a line per request:
# <epoch ms> <status> <traceparent>
cat >"$work/endpoint.py" <<'EOF'
import sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
out, answers = open(sys.argv[2], "a", buffering=1), [int(a) for a in sys.argv[3].split()]
count, lock = [0], threading.Lock()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            status = answers[min(count[0], len(answers) - 1)]
            count[0] += 1
        out.write("%d %d %s\n" % (time.time() * 1000, status, self.headers.get("traceparent")))
        self.send_response(status); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
python3 "$work/endpoint.py" "$endpoint" "$work/requests.txt" "$ANSWERS" & pids+=($!)
nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.1; done
curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$TOPIC&channel=nsq-push" >/dev/null

# started in $work: ./lib is its lib/, ./routes and ./application.properties the project's; exec, so that $! is the
# JVM and the cleanup stops it
cp -r "$repo/routes" "$repo/application.properties" "$work/"
(cd "$work" && OTEL_TRACES_EXPORTER=logging-otlp OTEL_BSP_SCHEDULE_DELAY=100 exec "$repo/nsq-push" \
    --camel.opentelemetry2.enabled=true --nsq.topic=$TOPIC --nsq.nsqd-tcp-addresses=127.0.0.1:$tcp \
    --push.url="http://127.0.0.1:$endpoint/push?token=bench-s3cret" --push.redeliveries=1 \
    --push.redelivery-delay=100ms --nsq.max-attempts=$attempts --status.interval=0 --routes.reload-enabled=false \
    --camel.management.host=127.0.0.1 --camel.management.port=$management >"$work/nsq-push.log" 2>&1) &
pids+=($!)
until grep -q "subscription - $TOPIC/nsq-push" "$work/nsq-push.log"; do
    grep -q "Invalid setting" "$work/nsq-push.log" && { cat "$work/nsq-push.log" >&2; exit 1; }
    sleep 0.1
done
grep -o "Extension jars from .*" "$work/nsq-push.log" | head -1

curl -s -d "one traced message" "http://127.0.0.1:$http/pub?topic=$TOPIC" >/dev/null
# done when the consumer's span (the root, ended after the FIN) is in the log
until grep -q '"kind":5' "$work/nsq-push.log"; do sleep 0.2; done

python3 - "$work/nsq-push.log" "$work/requests.txt" <<'EOF'
import json, sys
KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
SHOWN = ["messaging.system", "messaging.destination.name", "messaging.message.id", "messaging.consumer.group.name",
         "messaging.nsq.message.attempts", "server.address", "server.port", "http.request.method", "url.full",
         "http.response.status_code", "error.type"]
def value(v):
    return next(iter(v.values())) if v else None
spans = []
for line in open(sys.argv[1]):
    start = line.find('{"resource"')
    if start < 0:
        continue
    batch = json.loads(line[start:])
    for scope in batch.get("scopeSpans", []):
        spans.extend(scope.get("spans", []))
by_id = {s["spanId"]: s for s in spans}
children = {}
for s in spans:
    children.setdefault(s.get("parentSpanId") or None, []).append(s)
print("spans exported: %d, traces: %s" % (len(spans), ", ".join(sorted({s["traceId"] for s in spans}))))
def show(span, depth):
    ms = (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e6
    attributes = {a["key"]: value(a["value"]) for a in span.get("attributes", [])}
    print("%s%-24s %-8s span %s parent %-16s %8.3f ms%s" % ("  " * depth, span["name"], KINDS.get(span.get("kind"), "?"),
          span["spanId"], span.get("parentSpanId") or "-", ms,
          "  status=ERROR" if span.get("status", {}).get("code") == 2 else ""))
    for key in SHOWN:
        if key in attributes:
            print("%s    %s=%s" % ("  " * depth, key, attributes[key]))
    for child in sorted(children.get(span["spanId"], []), key=lambda c: int(c["startTimeUnixNano"])):
        show(child, depth + 1)
for root in sorted(children.get(None, []), key=lambda c: int(c["startTimeUnixNano"])):
    show(root, 0)
print("the endpoint received (its log: status, traceparent, and the span it names):")
for line in open(sys.argv[2]):
    ms, status, traceparent = line.split()
    span_id = traceparent.split("-")[2] if traceparent.count("-") == 3 else None
    named = by_id.get(span_id)
    print("  %s  traceparent: %s  -> %s" % (status, traceparent, "%s %s" % (named["name"], KINDS.get(named.get("kind")))
          if named else "no such span"))
EOF
if grep -q "bench-s3cret" "$work/nsq-push.log"; then echo "the endpoint's token is in the bridge's log"; exit 1; fi
echo "the endpoint's token (bench-s3cret) is nowhere in the bridge's log, spans included"
echo "logs: $work"
