// Command ws is a WebSocket echo load client: N connections each send M
// messages one at a time and wait for each echo, then it prints round trips
// per second and latency percentiles on one parseable line.
//
//	go run ./bench/ws -url ws://127.0.0.1:8000/ws/echo -c 64 -n 2000 -size 64
//
// Output:
//
//	WSRESULT conns=64 roundtrips=128000 seconds=2.130 rt_per_s=60093 p50_us=950 p99_us=2400 p999_us=5100 errors=0
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8000/ws/echo", "WebSocket echo URL")
	conns := flag.Int("c", 64, "connections")
	n := flag.Int("n", 1000, "round trips per connection")
	size := flag.Int("size", 64, "message size in bytes")
	limit := flag.Duration("d", 0, "stop after this long even if -n is not reached (0: no limit)")
	wait := flag.Duration("timeout", 5*time.Second, "handshake and per-round-trip timeout")
	flag.Parse()
	if *conns < 1 || *n < 1 || *size < 0 {
		fmt.Fprintln(os.Stderr, "ws: -c and -n must be >= 1, -size >= 0")
		os.Exit(2)
	}

	// Dial everything first so the handshakes are not part of the measurement.
	dialer := websocket.Dialer{HandshakeTimeout: *wait}
	cs := make([]*websocket.Conn, *conns)
	for i := range cs {
		c, _, err := dialer.Dial(*url, nil)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ws: dial %d: %v\n", i, err)
			os.Exit(1)
		}
		cs[i] = c
	}

	var deadline time.Time
	if *limit > 0 {
		deadline = time.Now().Add(*limit)
	}
	msg := bytes.Repeat([]byte("x"), *size)
	lat := make([][]time.Duration, *conns)
	errs := make([]int, *conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i], errs[i] = run(c, msg, *n, deadline, *wait)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if nerrs(errs) > 0 {
		fmt.Fprintf(os.Stderr, "ws: %d connections failed (no echo within -timeout or a wrong echo)\n", nerrs(errs))
	}
	for _, c := range cs {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = c.Close()
	}

	all := slices.Concat(lat...)
	slices.Sort(all)
	nerr := nerrs(errs)
	fmt.Printf("WSRESULT conns=%d roundtrips=%d seconds=%.3f rt_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
		*conns, len(all), elapsed.Seconds(), float64(len(all))/elapsed.Seconds(),
		pct(all, 50), pct(all, 99), pct(all, 99.9), nerr)
	if nerr > 0 {
		os.Exit(1)
	}
}

// run does up to n echo round trips on c and returns their latencies and the
// number of errors (a failed, late or wrong echo ends the connection's run).
func run(c *websocket.Conn, msg []byte, n int, deadline time.Time, wait time.Duration) ([]time.Duration, int) {
	lat := make([]time.Duration, 0, min(n, 1<<16))
	for range n {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		t0 := time.Now()
		_ = c.SetReadDeadline(t0.Add(wait))
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return lat, 1
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, msg) {
			return lat, 1
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, 0
}

// pct returns the p-th percentile of sorted durations in microseconds.
func pct(sorted []time.Duration, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i].Microseconds()
}

func nerrs(errs []int) int {
	n := 0
	for _, e := range errs {
		n += e
	}
	return n
}
