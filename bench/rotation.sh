#!/usr/bin/env bash
# A signing-secret rotation against a real nsqd, following the README's steps ("Rotating the secret"), while messages
# are published continuously (RATE a second): the receiver verifies Standard Webhooks signatures (HMAC-SHA256 of
# "id.timestamp.body" with the key after whsec_, any of the space-separated v1,<sig> matching any secret it holds,
# the timestamp within 5 minutes) and answers 401 on a bad one, 200 otherwise. The bridge's secret is
# push.signing-secret in ./application.properties, changed and then applied with a restart (SIGTERM, which drains).
#   1. the bridge signs with A, the receiver holds A;
#   2. the bridge signs with both (push.signing-secret=A B, restart);
#   3. the receiver switches to B only;
#   4. the bridge drops A (push.signing-secret=B, restart).
# Reported: messages published, delivered, 401 answers (0 when the rotation loses nothing), duplicates, dead letters.
# Takes ~30 s. A manual measurement, not part of the test suite.
#
#   mvn -q -DskipTests package && bench/rotation.sh
#   RATE=50 PHASE_SECONDS=10 bench/rotation.sh
#
# Needs nsqd on PATH (NSQ v1.3.0), python3 and curl.
set -euo pipefail

RATE=${RATE:-20}
PHASE_SECONDS=${PHASE_SECONDS:-5}
TOPIC=rotation
cd "$(dirname "$0")/.."
repo=$(pwd)
for tool in nsqd python3 curl; do
    command -v "$tool" >/dev/null || { echo "rotation.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "rotation.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-rotation.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port); endpoint=$(free_port); management=$(free_port)
pids=()
bridge=""
cleanup() {
    touch "$work/stop-publishing"
    [ -n "$bridge" ] && kill "$bridge" 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
secret() { python3 -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(24)).decode())'; }
A=$(secret); B=$(secret)

# the receiver: reads what it holds from receiver.json at each request; a line per request:
# <epoch ms> <phase> <status> <webhook-id> <signed with: the labels of the secrets whose signature is there> <msg-N>
cat >"$work/receiver.py" <<'EOF'
import base64, hashlib, hmac, json, os, re, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
port, state_file, out = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "a", buffering=1)
def key(secret):
    return base64.b64decode(secret[len("whsec_"):])
def signature(secret, msg_id, timestamp, body):
    mac = hmac.new(key(secret), msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(state_file) as f:
            state = json.load(f)
        msg_id, timestamp = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "0")
        sent = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split(" ") if s.startswith("v1,")]
        present = [label for label, secret in sorted(state["known"].items())
                   if any(hmac.compare_digest(signature(secret, msg_id, timestamp, body), s) for s in sent)]
        fresh = abs(time.time() - int(timestamp)) <= 300
        status = 200 if fresh and any(label in present for label in state["accept"]) else 401
        seq = re.search(rb"msg-\d+", body)
        out.write("%d %s %d %s %s %s\n" % (time.time() * 1000, state["phase"], status, msg_id or "-",
                  "+".join(present) or "-", seq.group().decode() if seq else "-"))
        self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
EOF
receiver() { # <phase> <labels the receiver accepts, e.g. A or B>
    python3 - "$work/receiver.json" "$1" "$2" "$A" "$B" <<'EOF'
import json, os, sys
path, phase, accept, a, b = sys.argv[1:]
with open(path + ".new", "w") as f:
    json.dump({"phase": phase, "accept": accept.split(), "known": {"A": a, "B": b}}, f)
os.replace(path + ".new", path)  # at once: a request reads the old state or the new one
EOF
}

# the publisher: RATE messages a second to nsqd's /pub until stop-publishing exists; a line per message
cat >"$work/publisher.py" <<'EOF'
import os, sys, time, urllib.request
url, rate, stop, out = sys.argv[1], float(sys.argv[2]), sys.argv[3], open(sys.argv[4], "a", buffering=1)
n, start = 0, time.monotonic()
while not os.path.exists(stop):
    n += 1
    body = ("rotation msg-%06d" % n).encode()
    urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")).read()
    out.write("%d msg-%06d\n" % (time.time() * 1000, n))
    time.sleep(max(0, start + n / rate - time.monotonic()))
EOF

receiver "0" "A"
python3 "$work/receiver.py" "$endpoint" "$work/receiver.json" "$work/requests.txt" & pids+=($!)
nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.1; done
until curl -s -o /dev/null "http://127.0.0.1:$endpoint/"; do sleep 0.1; done
curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$TOPIC&channel=nsq-push" >/dev/null

# the bridge runs in $work: its ./application.properties holds push.signing-secret, as an operator's would
cp -r "$repo/routes" "$work/"
runs=0
start_bridge() { # <push.signing-secret>
    cat >"$work/application.properties" <<EOF
nsq.topic=$TOPIC
nsq.nsqd-tcp-addresses=127.0.0.1:$tcp
push.url=http://127.0.0.1:$endpoint/push
push.signing-secret=$1
status.interval=0
routes.reload-enabled=false
camel.management.host=127.0.0.1
camel.management.port=$management
EOF
    runs=$((runs + 1))
    log="$work/nsq-push-$runs.log"
    (cd "$work" && exec "$repo/nsq-push" >"$log" 2>&1) &
    bridge=$!
    until grep -q "subscription - $TOPIC/nsq-push" "$log" 2>/dev/null; do
        kill -0 "$bridge" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.05
    done
}
stop_bridge() { # SIGTERM: RDY 0, in-flight deliveries finish, exit 0
    kill -TERM "$bridge"
    local rc=0
    wait "$bridge" || rc=$?
    bridge=""
    [ "$rc" = 0 ] || { echo "rotation.sh: the bridge exited $rc on SIGTERM" >&2; exit 1; }
}
restart_bridge() { # <phase> <push.signing-secret>: the outage is logged
    local down=$(now_ms)
    stop_bridge
    receiver "$1" "$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["accept"]))' "$work/receiver.json")"
    start_bridge "$2"
    echo "  restart for phase $1: the bridge was away $(( $(now_ms) - down )) ms (SIGTERM to the start-up line)"
}

# the receiver does reject: a request signed right but with a third secret, and one signed with A but stale
python3 - "http://127.0.0.1:$endpoint/push" "$(secret)" "$A" <<'EOF'
import base64, hashlib, hmac, sys, time, urllib.error, urllib.request
url, other, a = sys.argv[1:]
def status(secret, timestamp):
    body, msg_id = b"receiver check msg-000000", "check"
    mac = hmac.new(base64.b64decode(secret[6:]), ("%s.%d." % (msg_id, timestamp)).encode() + body, hashlib.sha256)
    request = urllib.request.Request(url, data=body, method="POST", headers={"webhook-id": msg_id,
        "webhook-timestamp": str(timestamp), "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode()})
    try:
        return urllib.request.urlopen(request).status
    except urllib.error.HTTPError as e:
        return e.code
print("receiver check: signed with another secret -> %d, with A -> %d, with A 10 minutes old -> %d"
      % (status(other, int(time.time())), status(a, int(time.time())), status(a, int(time.time()) - 600)))
EOF

echo "phase 1: bridge signs with A, receiver holds A"
receiver "1" "A"
start_bridge "$A"
python3 "$work/publisher.py" "http://127.0.0.1:$http/pub?topic=$TOPIC" "$RATE" "$work/stop-publishing" \
    "$work/published.txt" & pids+=($!)
sleep "$PHASE_SECONDS"
echo "phase 2: bridge signs with A and B (push.signing-secret=A B, restart)"
restart_bridge "2" "$A $B"
sleep "$PHASE_SECONDS"
echo "phase 3: receiver holds B only"
receiver "3" "B"
sleep "$PHASE_SECONDS"
echo "phase 4: bridge signs with B only (push.signing-secret=B, restart)"
restart_bridge "4" "$B"
sleep "$PHASE_SECONDS"
touch "$work/stop-publishing"
sleep 0.2

# every published message answered 200 once, or a deadline (a message held in flight by a stopped bridge would come
# back after nsqd's msg-timeout, 60 s)
deadline=$(( $(now_ms) + 90000 ))
until python3 - "$work/published.txt" "$work/requests.txt" <<'EOF'
import sys
published = {l.split()[1] for l in open(sys.argv[1])}
delivered = {l.split()[5] for l in open(sys.argv[2]) if l.split()[2] == "200" and l.split()[1] != "0"}
sys.exit(0 if published <= delivered else 1)
EOF
do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "not all delivered within 90 s"; break; }
    sleep 0.2
done
sleep 1 # anything late (a duplicate) shows up in the log
dead=$(curl -s "http://127.0.0.1:$http/stats?format=json&topic=$TOPIC.dead-letter" | python3 -c '
import json, sys
topics = json.load(sys.stdin).get("topics") or []  # none: no dead-letter topic was ever made
print(sum(t["message_count"] for t in topics if t["topic_name"].endswith(".dead-letter")))')

python3 - "$work/published.txt" "$work/requests.txt" "$dead" <<'EOF'
import collections, sys
published = [l.split()[1] for l in open(sys.argv[1])]
requests = [l.split() for l in open(sys.argv[2]) if l.split()[1] != "0"]  # not the receiver check
dead = int(sys.argv[3])
bridge = {"1": "A", "2": "A B", "3": "A B", "4": "B"}
holds = {"1": "A", "2": "A", "3": "B", "4": "B"}
print("| phase | bridge signs with | receiver holds | requests | 200 | 401 | signatures on the requests |")
print("|---|---|---|---:|---:|---:|---|")
for phase in "1234":
    rows = [r for r in requests if r[1] == phase]
    signed = collections.Counter(r[4] for r in rows)
    print("| %s | %s | %s | %d | %d | %d | %s |" % (phase, bridge[phase], holds[phase], len(rows),
          sum(r[2] == "200" for r in rows), sum(r[2] == "401" for r in rows),
          ", ".join("%s: %d" % kv for kv in sorted(signed.items()))))
ok = collections.Counter(r[5] for r in requests if r[2] == "200")
print("published %d, delivered %d (answered 200), not delivered %d, 401 answers %d, duplicates %d, dead letters %d"
      % (len(published), len(set(published) & set(ok)), len(set(published) - set(ok)),
         sum(r[2] == "401" for r in requests), sum(n - 1 for n in ok.values()), dead))
EOF
for log in "$work"/nsq-push-*.log; do # how each SIGTERM went
    grep -h -o -E "SIGTERM received.*|Stopping .*unanswered.*" "$log" | cut -c1-160 | sed "s|^|  $(basename "$log"): |" || true
done
if grep -q -F -e "${A#whsec_}" -e "${B#whsec_}" "$work"/nsq-push-*.log; then echo "a secret is in the bridge's log"; exit 1; fi
echo "neither secret is in the bridge's logs"
echo "logs: $work"
