package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/premier-gateway/premier/proxy/config"
)

// startBackend serves h on a real listener and returns its base URL.
func startBackend(t testing.TB, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h, StreamRequestBody: true, DisableHeaderNamesNormalizing: false, CloseOnShutdown: true}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown(); _ = ln.Close() })
	return "http://" + ln.Addr().String()
}

type gwHarness struct {
	gw   *Gateway
	addr string // host:port
	url  string // http://host:port
	logs *syncbuf.Buffer
}

// newGateway loads yamlText into a gateway, logging nowhere unless opts
// say otherwise, and closes it when the test ends; the test serves it.
func newGateway(t testing.TB, yamlText string, opts ...Option) *Gateway {
	t.Helper()
	l, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	gw, err := New(l, append([]Option{WithLogger(discardLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	return gw
}

// startGateway loads yamlText and serves it until the test ends.
func startGateway(t testing.TB, yamlText string, opts ...Option) *gwHarness {
	t.Helper()
	logs := &syncbuf.Buffer{}
	gw := newGateway(t, yamlText, append([]Option{WithLogger(slog.New(slog.NewTextHandler(logs, nil)))}, opts...)...)
	url := serveGateway(t, gw)
	return &gwHarness{gw: gw, addr: strings.TrimPrefix(url, "http://"), url: url, logs: logs}
}

func configYAML(backend, rest string) string {
	return "premier:\n  servers: [\"" + backend + "\"]\n" + rest
}

var httpClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func do(t testing.TB, method, url string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// getAsync GETs url on its own goroutine and delivers the status (0 when
// the request failed).
func getAsync(url string) <-chan int {
	status := make(chan int, 1)
	go func() {
		resp, err := httpClient.Get(url)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	return status
}

// rawRequest writes raw bytes on a new connection and returns what comes back.
func rawRequest(t testing.TB, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serveGateway serves an existing gateway on a real listener and closes it
// when the test ends; returns its URL.
func serveGateway(t testing.TB, gw *Gateway) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = gw.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		gw.Close()
	})
	return "http://" + ln.Addr().String()
}

// traffic sends GET url from workers goroutines until the returned stop is
// called; stop waits for them and returns how many answers check accepted
// and how many it refused.
func traffic(url string, workers int, check func(code int, body []byte, err error) bool) (stop func() (ok, failed int64)) {
	var okN, failedN atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	client := &fasthttp.Client{}
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if code, body, err := client.Get(nil, url); check(code, body, err) {
					okN.Add(1)
				} else {
					failedN.Add(1)
				}
			}
		})
	}
	return func() (int64, int64) {
		close(done)
		wg.Wait()
		client.CloseIdleConnections()
		return okN.Load(), failedN.Load()
	}
}
