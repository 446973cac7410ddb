// The benchmark's HTTP endpoint in Go, the same protocol as the JVM one (src/test/java/io/nsqpush/bench/BenchEndpoint):
// a receiver written in Go, as many real ones are, costs its share of the two cores the way nsq_to_http's peers do,
// where a JVM endpoint's JIT and GC would flatter whichever bridge runs second. Standard library only: Benchmark
// builds it with `go build` (offline) when `go` is on PATH.
//
//	POST /anything          recorded, answered 200 with an empty body after the current latency
//	GET  /config?latency=MS sets the latency
//	GET  /reset             forgets everything recorded
//	GET  /stats             one JSON object: count, firstMs, lastMs, rate, steadyRate, latencyCount, p50, p99, max,
//	                        connections
//
// Usage: endpoint [port]; prints "ready <port>".
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A SIMPLIFIED body that is the publish timestamp itself, or the JSON envelope's msgBody holding it.
var timestamp = regexp.MustCompile(`^\s*(\d{12,14})\s*$|"msgBody":"(\d{12,14})"`)

const maxEntries = 20_000_000

type recorder struct {
	mu          sync.Mutex
	start       time.Time
	receipts    []int64 // nanoseconds since start
	latencies   []int64 // ms, publish to receipt
	firstMs     int64
	lastMs      int64
	connections int64
}

func (r *recorder) record(publishMs int64) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.receipts) == maxEntries {
		return
	}
	ms := now.UnixMilli()
	if len(r.receipts) == 0 {
		r.firstMs = ms
	}
	r.lastMs = ms
	r.receipts = append(r.receipts, now.Sub(r.start).Nanoseconds())
	if publishMs > 0 {
		r.latencies = append(r.latencies, ms-publishMs)
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.receipts = r.receipts[:0]
	r.latencies = r.latencies[:0]
	r.firstMs, r.lastMs = 0, 0
	atomic.StoreInt64(&r.connections, 0)
}

func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func (r *recorder) json() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	count := len(r.receipts)
	rate, steady := 0.0, 0.0
	if count >= 2 && r.receipts[count-1] > r.receipts[0] {
		rate = float64(count-1) * 1e9 / float64(r.receipts[count-1]-r.receipts[0])
	}
	lo, hi := count/10, count*9/10
	if hi-lo >= 2 && hi < count && r.receipts[hi] > r.receipts[lo] {
		steady = float64(hi-lo) * 1e9 / float64(r.receipts[hi]-r.receipts[lo])
	}
	sorted := append([]int64(nil), r.latencies...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	return fmt.Sprintf(`{"count":%d,"firstMs":%d,"lastMs":%d,"rate":%.1f,"steadyRate":%.1f,`+
		`"latencyCount":%d,"p50":%d,"p99":%d,"max":%d,"connections":%d}`,
		count, r.firstMs, r.lastMs, rate, steady, len(sorted),
		percentile(sorted, 0.50), percentile(sorted, 0.99), percentile(sorted, 1.0), atomic.LoadInt64(&r.connections))
}

func publishTime(body []byte) int64 {
	if len(body) > 4096 {
		return -1
	}
	m := timestamp.FindSubmatch(body)
	if m == nil {
		return -1
	}
	text := m[1]
	if len(text) == 0 {
		text = m[2]
	}
	v, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		return -1
	}
	return v
}

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	rec := &recorder{start: time.Now(), receipts: make([]int64, 0, 1<<16)}
	var latencyMs int64
	answer := func(w http.ResponseWriter, status int, text string) {
		if text != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		w.WriteHeader(status)
		io.WriteString(w, text)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(req.Body, 64<<20))
			rec.record(publishTime(body))
			if d := atomic.LoadInt64(&latencyMs); d > 0 {
				time.Sleep(time.Duration(d) * time.Millisecond)
			}
			answer(w, http.StatusOK, "")
			return
		}
		switch req.URL.Path {
		case "/config":
			if v := req.URL.Query().Get("latency"); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					answer(w, http.StatusBadRequest, "")
					return
				}
				atomic.StoreInt64(&latencyMs, n)
			}
			answer(w, http.StatusOK, fmt.Sprintf(`{"latencyMs":%d}`, atomic.LoadInt64(&latencyMs)))
		case "/reset":
			rec.reset()
			answer(w, http.StatusOK, "{}")
		case "/stats":
			answer(w, http.StatusOK, rec.json())
		default:
			answer(w, http.StatusNotFound, "")
		}
	})
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := &http.Server{Handler: handler, ConnState: func(c net.Conn, state http.ConnState) {
		if state == http.StateNew {
			atomic.AddInt64(&rec.connections, 1)
		}
	}}
	fmt.Printf("ready %d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
