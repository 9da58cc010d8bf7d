// Command idleconns opens N keep-alive HTTP connections to a gateway, makes
// one request on each, then holds them idle and reports resident memory:
// the gateway's (from /proc/PID/status, given -pid) and its own.
//
//	ulimit -n 20000
//	go run ./bench/idleconns -addr 127.0.0.1:8000 -n 10000 -pid $(pgrep -n premier) -hold 5s
//
// It prints one line:
//
//	IDLECONNS open=10000 failed=0 gateway_rss_before_kib=… gateway_rss_kib=… per_conn_bytes=… self_rss_kib=…
//
// per_conn_bytes is (RSS with the connections − RSS before) / open.
// The gateway's idle_timeout must be longer than the time to open them
// all plus -hold, or it closes them first.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "gateway host:port")
	path := flag.String("path", "/", "path requested once on each connection")
	n := flag.Int("n", 10000, "connections to open")
	par := flag.Int("c", 200, "connections opened in parallel")
	pid := flag.Int("pid", 0, "gateway process id (0: report only this process)")
	hold := flag.Duration("hold", 5*time.Second, "how long to hold the connections before measuring")
	flag.Parse()

	before := rssKiB(*pid)
	conns := make([]net.Conn, *n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < *par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				c, err := open(*addr, *path)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	time.Sleep(*hold)
	alive := 0
	for _, c := range conns {
		if c != nil && stillOpen(c) {
			alive++
		}
	}
	after := rssKiB(*pid)
	perConn := int64(0)
	if alive > 0 && *pid != 0 {
		perConn = (after - before) * 1024 / int64(alive)
	}
	fmt.Printf("IDLECONNS open=%d failed=%d gateway_rss_before_kib=%d gateway_rss_kib=%d per_conn_bytes=%d self_rss_kib=%d\n",
		alive, failed.Load(), before, after, perConn, rssKiB(0))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "first error:", e)
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// open connects, sends one keep-alive GET and reads its whole response.
func open(addr, path string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: idleconns\r\n\r\n", path); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		c.Close()
		return nil, fmt.Errorf("status %d with Connection: close", resp.StatusCode)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// stillOpen reports whether the peer has not closed c (a 1 ms read sees
// EOF on a closed connection and times out on an open idle one).
func stillOpen(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	_ = c.SetReadDeadline(time.Time{})
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// rssKiB reads VmRSS of pid (0: this process) from /proc.
func rssKiB(pid int) int64 {
	p := "/proc/self/status"
	if pid != 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	return -1
}
