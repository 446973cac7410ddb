#!/usr/bin/env bash
# Big messages against a real nsqd (issue 20): COUNT_1MB messages of 1 MB and COUNT_4MB of 4 MB (nsqd started with
# --max-msg-size=5242880), delivered by one bridge at a time to an endpoint that answers 200 after DELAY_MS: nsq-push
# as ./nsq-push starts it (its -Xmx512m, the default max-in-flight 200 and byte budget, FORMAT JSON by default) and
# nsq_to_http (--n=200 --max-in-flight=200). Reported per run: messages delivered, duplicates (requests beyond one per
# message), nsqd's requeue and timeout counts, peak RSS (VmHWM), whether it died (OutOfMemoryError), drain time.
#
#   mvn -q -DskipTests package && bench/big-messages.sh
#   COUNT_1MB=100 COUNT_4MB=30 DELAY_MS=2000 bench/big-messages.sh
#
# Needs nsqd and nsq_to_http (NSQ v1.3.0), go (for bench/endpoint), python3 and curl.
set -euo pipefail

COUNT_1MB=${COUNT_1MB:-300}
COUNT_4MB=${COUNT_4MB:-100}
DELAY_MS=${DELAY_MS:-10000}
FORMAT=${FORMAT:-JSON}
DRAIN_LIMIT=${DRAIN_LIMIT:-300}
cd "$(dirname "$0")/.."
for tool in nsqd nsq_to_http go python3 curl; do
    command -v "$tool" >/dev/null || { echo "big-messages.sh: $tool is not on PATH" >&2; exit 2; }
done
[ -f target/nsq-push.jar ] || { echo "big-messages.sh: build first: mvn -q -DskipTests package" >&2; exit 2; }

work=$(mktemp -d /tmp/nsq-push-big.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp=$(free_port); http=$(free_port)
pids=()
cleanup() {
    status=$?; [ $status = 0 ] || echo "big-messages.sh: exit $status at line ${BASH_LINENO[0]}" >&2
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/endpoint" bench/endpoint/main.go
"$work/endpoint" >"$work/endpoint.log" 2>&1 &
pids+=($!)
until grep -q '^ready ' "$work/endpoint.log"; do sleep 0.1; done
endpoint="http://127.0.0.1:$(awk '/^ready /{print $2}' "$work/endpoint.log")"
curl -s "$endpoint/config?latency=$DELAY_MS" >/dev/null

nsqd --tcp-address=127.0.0.1:$tcp --http-address=127.0.0.1:$http --data-path="$work" --max-msg-size=5242880 \
    --mem-queue-size=100000 >"$work/nsqd.log" 2>&1 &
pids+=($!)
until curl -s "http://127.0.0.1:$http/ping" >/dev/null; do sleep 0.2; done

channel_stats() { # topic -> "left requeued timedout"
    curl -s "http://127.0.0.1:$http/stats?format=json&topic=$1" | python3 -c '
import json, sys
for t in json.load(sys.stdin).get("topics") or []:
    for c in t["channels"]:
        print(c["depth"] + c["in_flight_count"] + c["deferred_count"], c["requeue_count"], c["timeout_count"]); sys.exit()
print(-1, 0, 0)'
}

publish() { # topic, count, bytes
    curl -s -X POST "http://127.0.0.1:$http/topic/create?topic=$1" >/dev/null
    curl -s -X POST "http://127.0.0.1:$http/channel/create?topic=$1&channel=bench" >/dev/null
    for i in $(seq 1 "$2"); do
        python3 -c "import sys; sys.stdout.write(('message %d ' % $i).ljust($3, 'x'))" >"$work/body"
        curl -s --fail --data-binary @"$work/body" "http://127.0.0.1:$http/pub?topic=$1" >/dev/null
    done
}

printf '| case | bridge | delivered | duplicates | REQ / timeouts at nsqd | peak RSS | died | drain time (s) |\n'
printf '|---|---|---|---|---|---|---|---|\n'
run() { # case, count, bytes, name, topic, command...
    local label=$1 count=$2 bytes=$3 name=$4 topic=$5; shift 5
    publish "$topic" "$count" "$bytes"
    curl -s "$endpoint/reset" >/dev/null
    local start; start=$(date +%s.%N)
    "$@" >"$work/$topic.log" 2>&1 &
    local pid=$!; pids+=($pid)
    local hwm=0 stats left=-1 died=no
    while true; do
        stats=$(channel_stats "$topic"); left=${stats%% *}
        if [ -r "/proc/$pid/status" ]; then
            hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || echo "$hwm")
        fi
        if ! kill -0 "$pid" 2>/dev/null; then died=yes; break; fi
        [ "$left" = 0 ] && break
        python3 -c "import sys,time; sys.exit(0 if time.time()-$start > $DRAIN_LIMIT else 1)" && break
        sleep 0.2
    done
    local end; end=$(date +%s.%N)
    # a process java keeps alive after its OutOfMemoryError message (or a dead one) counts as died
    grep -q 'OutOfMemoryError' "$work/$topic.log" && died="yes (OutOfMemoryError)"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    local delivered; delivered=$(curl -s "$endpoint/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    read -r left requeued timedout <<<"$(channel_stats "$topic")"
    python3 -c "
count, delivered, left = $count, $delivered, $left
unique = min(delivered, count - max(left, 0))
t = '%.1f' % ($end - $start) if left == 0 else '>%.0f (%d left)' % ($end - $start, left)
print('| $label | $name | %d of %d | %d | $requeued / $timedout | %d MiB | $died | %s |' % (unique, count,
      max(0, delivered - unique), $hwm // 1024, t))"
}
bridge() { # topic
    exec ./nsq-push --nsqd-tcp-address=127.0.0.1:$tcp --topic="$1" --channel=bench --post="$endpoint/$1" \
        --format="$FORMAT" --camel.management.port=0 --routes.reload-enabled=false --status.interval=0
}
tohttp() { # topic
    exec nsq_to_http --nsqd-tcp-address=127.0.0.1:$tcp --topic="$1" --channel=bench --post="$endpoint/$1" \
        --n=200 --max-in-flight=200 --http-client-request-timeout=60s
}
run "$COUNT_1MB x 1 MB" "$COUNT_1MB" 1048576 nsq-push big1-push bridge big1-push
run "$COUNT_1MB x 1 MB" "$COUNT_1MB" 1048576 nsq_to_http big1-tohttp tohttp big1-tohttp
run "$COUNT_4MB x 4 MB" "$COUNT_4MB" 4194304 nsq-push big4-push bridge big4-push
run "$COUNT_4MB x 4 MB" "$COUNT_4MB" 4194304 nsq_to_http big4-tohttp tohttp big4-tohttp
echo
echo "nsqd --max-msg-size=5242880, endpoint bench/endpoint (Go) answering after ${DELAY_MS} ms, nsq-push --format=$FORMAT"
