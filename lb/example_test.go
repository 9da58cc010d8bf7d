package lb_test

import (
	"fmt"
	"time"

	"github.com/premier-gateway/premier/lb"
	"github.com/valyala/fasthttp"
)

func ExampleNewPool() {
	pool := lb.NewPool(func(c *fasthttp.HostClient) {
		c.ReadTimeout = 5 * time.Second
		c.MaxConns = 256
	})
	defer pool.Close()

	a, _ := pool.Get(lb.Server{URL: "http://10.0.0.1:8080"})
	again, _ := pool.Get(lb.Server{URL: "http://10.0.0.1:8080/", Weight: 3}) // a reload
	fmt.Println(a.URL, a == again, a.Client.ReadTimeout)

	pool.Retain([]string{"http://10.0.0.2:8080"}) // the reload dropped 10.0.0.1
	fmt.Println(len(pool.Backends()))
	// Output:
	// http://10.0.0.1:8080 true 5s
	// 0
}

func ExampleNewBalancer() {
	pool := lb.NewPool(nil)
	defer pool.Close()
	var backends []*lb.Backend
	for _, u := range []string{"http://10.0.0.1", "http://10.0.0.2", "http://10.0.0.3"} {
		b, _ := pool.Get(lb.Server{URL: u})
		backends = append(backends, b)
	}
	bal, _ := lb.NewBalancer(lb.Config{Algorithm: lb.WeightedRoundRobin}, backends, []int{5, 1, 1})
	for range 7 {
		i := bal.Pick(0, nil)
		b := backends[i]
		b.Start()
		// ... forward the request with b.Client ...
		b.Done(3*time.Millisecond, false)
		fmt.Print(i, " ")
	}
	fmt.Println()
	// Output: 0 0 1 0 2 0 0
}

// openBreakers is a Filter: the rule's view of which backends it may use.
type openBreakers map[int]bool

func (o openBreakers) Usable(i int) bool { return !o[i] }

func ExampleFilter() {
	pool := lb.NewPool(nil)
	defer pool.Close()
	a, _ := pool.Get(lb.Server{URL: "http://10.0.0.1"})
	b, _ := pool.Get(lb.Server{URL: "http://10.0.0.2"})
	bal, _ := lb.NewBalancer(lb.Config{}, []*lb.Backend{a, b}, nil)
	var f lb.Filter = openBreakers{0: true} // backend 0's breaker is open
	fmt.Println(bal.Pick(0, f), bal.Pick(0, f), bal.Pick(0, openBreakers{0: true, 1: true}))
	// Output: 1 1 -1
}

func ExamplePool_SetHealthCheck() {
	pool := lb.NewPool(nil)
	defer pool.Close() // stops the probes
	b, _ := pool.Get(lb.Server{URL: "http://127.0.0.1:1"})
	hc := &lb.HealthCheck{}
	hc.Defaults() // GET / every 5 s, 2 s timeout, 2 up / 3 down
	pool.SetHealthCheck([]string{b.URL}, hc)
	fmt.Println(b.Stats().HealthChecked, b.Healthy()) // healthy until 3 probes fail
	// Output: true true
}
