#!/usr/bin/env bash
# Many subscriptions in one process (CMQ's fan-out): SUBS channels of one topic on a real nsqd, all pushed to one host
# (the Go endpoint, bench/endpoint), by one nsq-push (the packaged jar, a routes directory of SUBS subscriptions made
# here) and by SUBS nsq_to_http processes, one after the other in the same run. Reported for each:
#   - connected: from the launch until nsqd lists a client on every channel (/stats);
#   - idle CPU: utime+stime (/proc/<pid>/stat) over IDLE seconds with nothing to deliver, in % of one core;
#   - RSS: VmRSS when idle (summed over the nsq_to_http processes);
#   - burst: MESSAGES messages published at once (SUBS x MESSAGES deliveries): the time until the endpoint has them
#     all, and the failed attempts (nsqd's requeue_count + timeout_count summed over the channels).
# The machine is shared and noisy: compare the ratios of the two rows, not the absolute numbers.
#
#   mvn -q -DskipTests package && bench/many-subscriptions.sh
#   SUBS=50 MESSAGES=100 IDLE=10 bench/many-subscriptions.sh
#
# Needs nsqd and nsq_to_http (NSQ v1.3.0), go (to build the endpoint), python3 and curl.
set -euo pipefail

SUBS=${SUBS:-200}
MESSAGES=${MESSAGES:-200}
IDLE=${IDLE:-30}
LIMIT=${LIMIT:-120}
cd "$(dirname "$0")/.."
for tool in nsqd nsq_to_http go python3 curl; do
    command -v "$tool" >/dev/null || { echo "many-subscriptions.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "many-subscriptions.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-many.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port)
pids=()
cleanup() {
    status=$?; [ $status = 0 ] || echo "many-subscriptions.sh: exit $status at line ${BASH_LINENO[0]}" >&2
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
}
trap cleanup EXIT

go build -o "$work/endpoint" bench/endpoint/main.go
"$work/endpoint" 0 >"$work/endpoint.out" 2>&1 &
pids+=($!)
until grep -q '^ready' "$work/endpoint.out"; do sleep 0.1; done
ep=$(awk '/^ready/ {print $2}' "$work/endpoint.out")
nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.2; done

now() { date +%s.%N; }
# channels of the topic with a client, and requeue+timeout counts summed over them
channels() {
    curl -s "http://127.0.0.1:$http/stats?format=json&topic=$1" | python3 -c '
import json, sys
connected = failed = left = 0
for t in json.load(sys.stdin).get("topics") or []:
    for c in t["channels"]:
        connected += 1 if c["clients"] else 0
        failed += c["requeue_count"] + c["timeout_count"]
        left += c["depth"] + c["in_flight_count"] + c["deferred_count"]
print(connected, failed, left)'
}
delivered() { curl -s "http://127.0.0.1:$ep/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
ticks() { # utime+stime of the pids, in clock ticks
    for p in "$@"; do cut -d' ' -f14,15 "/proc/$p/stat"; done | awk '{s += $1 + $2} END {print s + 0}'
}
rss_kb() { for p in "$@"; do awk '/^VmRSS/ {print $2}' "/proc/$p/status"; done | awk '{s += $1} END {print s + 0}'; }
hz=$(getconf CLK_TCK)
# waits in one process until nsqd lists WANT channels with a client (connected) or the endpoint counted WANT requests
# (delivered), and prints the time: a curl and a python per poll would take half a core of the two being measured
cat >"$work/wait.py" <<'EOF'
import json, sys, time, urllib.request
what, url, want, since, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
while True:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            stats = json.load(answer)
    except (OSError, ValueError):  # a refused or cut request: ask again until the limit
        stats = None
    if stats is None:
        have = -1
    elif what == "connected":
        have = sum(1 for t in stats.get("topics") or [] for c in t["channels"] if c["clients"])
    else:
        have = stats["count"]
    if have >= want:
        print("%.3f" % time.time())
        sys.exit(0)
    if time.time() - since > limit:
        sys.exit(1)
    time.sleep(0.05)
EOF
wait_for() { python3 "$work/wait.py" "$1" "$2" "$3" "$4" "$LIMIT"; } # what, url, want, since

results="$work/results"
measure() { # name, topic, pids...
    local name=$1 topic=$2 launched=$3; shift 3
    local connected_at
    connected_at=$(wait_for connected "http://127.0.0.1:$http/stats?format=json&topic=$topic" "$SUBS" "$launched") \
        || { echo "$name: not all $SUBS channels connected after ${LIMIT}s" >&2; exit 1; }
    sleep 5 # start-up work (JIT, class loading) is over before the idle window
    local t0 c0 t1 c1 rss
    t0=$(now); c0=$(ticks "$@")
    sleep "$IDLE"
    t1=$(now); c1=$(ticks "$@")
    rss=$(rss_kb "$@")
    local before; before=$(delivered)
    python3 -c "import sys; sys.stdout.write(''.join('%d\n' % i for i in range($MESSAGES)))" \
        | curl -s --data-binary @- "http://127.0.0.1:$http/mpub?topic=$topic" >/dev/null
    local b0; b0=$(now)
    local want=$((before + SUBS * MESSAGES)) got b1
    b1=$(wait_for delivered "http://127.0.0.1:$ep/stats" "$want" "$b0") || b1=$(now)
    got=$(delivered)
    read -r _ failed left < <(channels "$topic")
    echo "$name $launched $connected_at $t0 $t1 $c0 $c1 $rss $b0 $b1 $((got - before)) $failed $left" >>"$results"
}

# --- nsq-push: one process, SUBS subscriptions of the template in a routes directory of their own
mkdir -p "$work/routes"
cp routes/push.yaml routes/dead-letter.yaml "$work/routes/"
for i in $(seq 0 $((SUBS - 1))); do
    cat <<EOF
- templatedRoute:
    routeTemplateRef: nsq-push
    routeId: fan-$i
    parameters:
      - {name: topic, value: fanpush}
      - {name: channel, value: c$i}
      - {name: url, value: "http://127.0.0.1:$ep/c$i"}
EOF
done >"$work/routes/many.yaml"
for topic in fanpush fantohttp idle; do curl -s -X POST "http://127.0.0.1:$http/topic/create?topic=$topic" >/dev/null; done
launched=$(now)
# the shipped subscription (push.yaml) consumes a topic of its own that gets nothing
./nsq-push --nsqd-tcp-address=127.0.0.1:$tcp --topic=idle --channel=idle --post="http://127.0.0.1:$ep/idle" \
    --push.format=SIMPLIFIED --routes.directory="$work/routes" --routes.reload-enabled=false \
    --camel.management.port=0 >"$work/nsq-push.log" 2>&1 &
bridge=$!; pids+=($bridge)
measure nsq-push fanpush "$launched" "$bridge"
kill "$bridge"; wait "$bridge" 2>/dev/null || true

# --- SUBS nsq_to_http processes, one per channel (their defaults: --n 100, --max-in-flight 200)
launched=$(now)
tohttp=()
for i in $(seq 0 $((SUBS - 1))); do
    nsq_to_http --nsqd-tcp-address=127.0.0.1:$tcp --topic=fantohttp --channel="c$i" \
        --post="http://127.0.0.1:$ep/c$i" >"$work/nsq_to_http-$i.log" 2>&1 &
    tohttp+=($!); pids+=($!)
done
measure nsq_to_http fantohttp "$launched" "${tohttp[@]}"

python3 - "$results" "$hz" "$SUBS" "$MESSAGES" "$IDLE" <<'EOF'
import sys
path, hz, subs, messages, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = {}
for line in open(path):
    f = line.split()
    name = f[0]
    launched, connected, t0, t1 = map(float, f[1:5])
    c0, c1, rss = int(f[5]), int(f[6]), int(f[7])
    b0, b1 = float(f[8]), float(f[9])
    got, failed, left = int(f[10]), int(f[11]), int(f[12])
    rows[name] = dict(connect=connected - launched, cpu=100.0 * (c1 - c0) / hz / (t1 - t0), rss=rss / 1024.0,
                      burst=b1 - b0, got=got, failed=failed, left=left)
print("%d subscriptions of one topic to one host, idle window %s s, burst %d x %d messages" % (subs, idle, subs, messages))
print()
print("| bridge | all connected (s) | idle CPU (% of a core) | RSS (MiB) | burst drained (s) | delivered | failed attempts |")
print("|---|---|---|---|---|---|---|")
for name, r in rows.items():
    print("| %s | %.2f | %.2f | %.0f | %.2f | %d | %d |" % (name, r["connect"], r["cpu"], r["rss"], r["burst"],
                                                           r["got"], r["failed"]))
if "nsq-push" in rows and "nsq_to_http" in rows:
    p, t = rows["nsq-push"], rows["nsq_to_http"]
    ratio = lambda a, b: "%.2f" % (a / b) if b else "-"
    print("| nsq-push / nsq_to_http | %s | %s | %s | %s | | |" % (ratio(p["connect"], t["connect"]),
          ratio(p["cpu"], t["cpu"]), ratio(p["rss"], t["rss"]), ratio(p["burst"], t["burst"])))
EOF
