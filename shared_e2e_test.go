package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/redistest"
)

// TestTwoProcessesShareRedis runs two gateway processes against one real
// redis-server: together they admit exactly the quota, and one serves from
// the cache what the other filled, without asking the backend.
func TestTwoProcessesShareRedis(t *testing.T) {
	r := redistest.Start(t)
	var cachedHits atomic.Int32
	be := backend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/cached" {
			cachedHits.Add(1)
		}
		ctx.SetBodyString("ok")
	})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf(`premier:
  keyspace: two-processes
  servers: [%q]
  redis: {url: %q, timeout: 2} # generous: -race and parallel packages slow everything
  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 5, duration: 60, key: global}
    - pattern: /cached
      features:
        cache: {expire_s: 60}
`, be, r.URL()))
	_, a, _ := startBinary(t, cfg)
	_, b, _ := startBinary(t, cfg)

	admitted := 0
	for i := 0; i < 10; i++ {
		for _, url := range []string{a, b} {
			if code, _ := get(t, url+"/limited"); code == 200 {
				admitted++
			}
		}
	}
	if admitted != 5 {
		t.Fatalf("two processes admitted %d, want exactly 5", admitted)
	}

	fetch := func(url string) *http.Response {
		req, _ := http.NewRequest("GET", url+"/cached", nil)
		req.Host = "api.example" // the default cache key includes the host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	fetch(a)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		keys, _ := rc.Do(context.Background(), rc.B().Keys().Pattern("two-processes:cache*").Build()).AsStrSlice()
		if len(keys) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("process A never wrote its cache entry to Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp := fetch(b); resp.Header.Get("X-Cache") != "HIT" || cachedHits.Load() != 1 {
		t.Fatalf("process B: X-Cache %q, backend hits %d", resp.Header.Get("X-Cache"), cachedHits.Load())
	}
}
