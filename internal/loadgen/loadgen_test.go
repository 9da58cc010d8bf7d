package loadgen

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadgenCountsExactly: a real server answers every fifth request 503
// and closes some connections after answering; the generator's counts
// match what the server answered, request for request.
func TestLoadgenCountsExactly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served, bad atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		if n%7 == 0 {
			w.Header().Set("Connection", "close") // the client must reconnect, not fail
		}
		if n%5 == 0 {
			bad.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte("ok"))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	run := Start(Options{Addr: ln.Addr().String(), KeepAlive: 4, NewConn: 4})
	for run.Stats().OK < 500 {
		time.Sleep(time.Millisecond)
	}
	st := run.Stop()
	if st.ConnErrors != 0 || st.Sent != st.OK+st.Failed || st.Sent != served.Load() || st.Failed != bad.Load() {
		t.Fatalf("counts %s; server answered %d, %d of them 503; errors %v", st, served.Load(), bad.Load(), run.Errors())
	}
	if st.NewConns <= 8 {
		t.Fatalf("%s: the new-connection clients did not reconnect", st)
	}

	// The server gone: every request is a connection error, none lost.
	srv.Close()
	run = Start(Options{Addr: ln.Addr().String(), KeepAlive: 1, NewConn: 1, Timeout: time.Second})
	for run.Stats().ConnErrors < 10 {
		time.Sleep(time.Millisecond)
	}
	st = run.Stop()
	if st.OK != 0 || st.Sent != st.ConnErrors || len(run.Errors()) == 0 {
		t.Fatalf("against a closed port: %s", st)
	}
}

// TestLoadgenPaced: with Rate set, the clients together send about that
// many requests a second, not as many as the server can answer.
func TestLoadgenPaced(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	run := Start(Options{Addr: ln.Addr().String(), KeepAlive: 4, Rate: 400})
	time.Sleep(time.Second)
	st := run.Stop()
	if st.OK < 300 || st.OK > 480 || st.Failed+st.ConnErrors != 0 {
		t.Fatalf("paced at 400/s for 1 s: %s", st)
	}
}
