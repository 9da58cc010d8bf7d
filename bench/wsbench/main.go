// Command wsbench measures WebSocket proxying: echo round trips through a
// gateway, and the gateway's memory per idle connection.
//
//	wsbench echo -url ws://127.0.0.1:8000/ws/echo -c 64 -n 2000 -size 64 [-d 5s] [-timeout 5s]
//	wsbench idle -url ws://127.0.0.1:8000/ws/echo -c 9900 -hold 5s
//	wsbench libproxy -listen 127.0.0.1:8100 -backend ws://127.0.0.1:9001
//
// echo: c connections each send n messages one at a time and wait for each
// echo (stopping after -d when set); prints one line, also parsed by
// bench/run.sh's ws scenario:
//
//	WSRESULT conns=64 roundtrips=128000 seconds=2.130 rt_per_s=60093 p50_us=950 p99_us=2400 p999_us=5100 errors=0
//
// and exits 1 when a connection failed (no echo within -timeout, or a wrong one).
// idle: opens c connections, prints "WSIDLE open=N" once all are open,
// holds them for -hold (run.sh samples the gateway's RSS meanwhile), then
// closes them.
// libproxy: a WebSocket proxy built on github.com/fasthttp/websocket on
// both sides (read each message whole, write it again), the design the
// gateway did not pick, run here only to compare it with the gateway's
// frame relay. run.sh runs the whole comparison.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wsbench echo|idle|libproxy [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	url := fs.String("url", "ws://127.0.0.1:8000/ws/echo", "WebSocket echo URL")
	conns := fs.Int("c", 64, "connections")
	n := fs.Int("n", 1000, "round trips per connection (echo)")
	size := fs.Int("size", 64, "message size in bytes (echo)")
	hold := fs.Duration("hold", 5*time.Second, "how long to hold the idle connections")
	limit := fs.Duration("d", 0, "stop echoing after this long even if -n is not reached (0: no limit)")
	wait := fs.Duration("timeout", 5*time.Second, "per-round-trip timeout (echo)")
	listen := fs.String("listen", "127.0.0.1:8100", "listen address (libproxy)")
	backend := fs.String("backend", "ws://127.0.0.1:9001", "backend base URL (libproxy)")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "echo":
		err = runEcho(*url, *conns, *n, *size, *limit, *wait)
	case "idle":
		err = runIdle(*url, *conns, *hold)
	case "libproxy":
		err = runLibProxy(*listen, *backend)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

func dialAll(url string, n int) ([]*websocket.Conn, error) {
	cs := make([]*websocket.Conn, n)
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		first atomic.Pointer[error]
	)
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || first.Load() != nil {
					return
				}
				c, _, err := d.Dial(url, nil)
				if err != nil {
					err = fmt.Errorf("dial %d: %w", i, err)
					first.CompareAndSwap(nil, &err)
					return
				}
				cs[i] = c
			}
		}()
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		for _, c := range cs {
			if c != nil {
				c.Close()
			}
		}
		return nil, *e
	}
	return cs, nil
}

func runEcho(url string, conns, n, size int, limit, wait time.Duration) error {
	if conns < 1 || n < 1 || size < 0 {
		return fmt.Errorf("-c and -n must be >= 1, -size >= 0")
	}
	cs, err := dialAll(url, conns)
	if err != nil {
		return err
	}
	var deadline time.Time
	if limit > 0 {
		deadline = time.Now().Add(limit)
	}
	msg := bytes.Repeat([]byte("x"), size)
	lat := make([][]time.Duration, conns)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			var ok bool
			lat[i], ok = echoRun(c, msg, n, deadline, wait)
			if !ok {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) int64 {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()
	}
	fmt.Printf("WSRESULT conns=%d roundtrips=%d seconds=%.3f rt_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
		conns, len(all), secs, float64(len(all))/secs, pct(0.50), pct(0.99), pct(0.999), errs.Load())
	if errs.Load() > 0 {
		return fmt.Errorf("%d connections failed (no echo within -timeout, or a wrong echo)", errs.Load())
	}
	return nil
}

// echoRun does up to n echo round trips on c (until deadline, when set) and
// returns their latencies; ok is false when an echo failed, came late or
// came back wrong, which ends the connection's run.
func echoRun(c *websocket.Conn, msg []byte, n int, deadline time.Time, wait time.Duration) (lat []time.Duration, ok bool) {
	lat = make([]time.Duration, 0, min(n, 1<<16))
	for range n {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		t0 := time.Now()
		_ = c.SetReadDeadline(t0.Add(wait))
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return lat, false
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, msg) {
			return lat, false
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, true
}

func runIdle(url string, conns int, hold time.Duration) error {
	cs, err := dialAll(url, conns)
	if err != nil {
		return err
	}
	fmt.Printf("WSIDLE open=%d\n", len(cs))
	time.Sleep(hold)
	// Check they are all still alive: one round trip each.
	bad := 0
	for _, c := range cs {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if c.WriteMessage(websocket.TextMessage, []byte("ping")) != nil {
			bad++
		} else if _, _, err := c.ReadMessage(); err != nil {
			bad++
		}
		c.Close()
	}
	fmt.Printf("WSIDLE alive_after_hold=%d\n", len(cs)-bad)
	return nil
}
