// Command loadgen runs the project's traffic generator (internal/loadgen)
// against one address for a while and prints its exact counts, for the
// chaos script's upgrade phase:
//
//	loadgen -addr 127.0.0.1:19500 -path /small -keepalive 32 -new 32 -d 15s
//
// Output, one line: LOADGEN sent=N ok=N failed=N conn_errors=N conns=N rps=N.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/premier-gateway/premier/internal/loadgen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "the gateway's `host:port`")
	path := flag.String("path", "/", "request target")
	keep := flag.Int("keepalive", 32, "connections kept alive across requests")
	fresh := flag.Int("new", 32, "connections opened anew for each request")
	d := flag.Duration("d", 15*time.Second, "how long to run")
	flag.Parse()
	start := time.Now()
	run := loadgen.Start(loadgen.Options{Addr: *addr, Path: *path, KeepAlive: *keep, NewConn: *fresh})
	time.Sleep(*d)
	st := run.Stop()
	fmt.Printf("LOADGEN %s rps=%.0f\n", st, float64(st.Sent)/time.Since(start).Seconds())
	for _, e := range run.Errors() {
		fmt.Fprintln(os.Stderr, "loadgen:", e)
	}
}
