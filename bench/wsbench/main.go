// Command wsbench measures WebSocket proxying: echo round trips through a
// gateway, and the gateway's memory per idle connection.
//
//	wsbench echo -url ws://127.0.0.1:8000/ws/echo -c 64 -n 2000 -size 64
//	wsbench idle -url ws://127.0.0.1:8000/ws/echo -c 9900 -hold 5s
//	wsbench libproxy -listen 127.0.0.1:8100 -backend ws://127.0.0.1:9001
//
// echo: c connections each send n messages one at a time and wait for each
// echo; prints one WSECHO line (round trips/s, latency percentiles).
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
	listen := fs.String("listen", "127.0.0.1:8100", "listen address (libproxy)")
	backend := fs.String("backend", "ws://127.0.0.1:9001", "backend base URL (libproxy)")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "echo":
		err = runEcho(*url, *conns, *n, *size)
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

func runEcho(url string, conns, n, size int) error {
	cs, err := dialAll(url, conns)
	if err != nil {
		return err
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
			l := make([]time.Duration, 0, n)
			for j := 0; j < n; j++ {
				t0 := time.Now()
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					errs.Add(1)
					break
				}
				_, got, err := c.ReadMessage()
				if err != nil || len(got) != size {
					errs.Add(1)
					break
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
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
	fmt.Printf("WSECHO conns=%d roundtrips=%d seconds=%.3f rt_per_s=%.0f p50_us=%d p99_us=%d errors=%d\n",
		conns, len(all), secs, float64(len(all))/secs, pct(0.50), pct(0.99), errs.Load())
	return nil
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
