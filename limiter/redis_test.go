package limiter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/redistest"
	"github.com/premier-gateway/premier/internal/syncbuf"
)

// Redis killed mid-test: FailOpen true admits, false refuses, both without
// asking Redis during the backoff; after a restart decisions come from Redis
// again on their own.
func TestRedisFailover(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client()
	var logBuf syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	c := NewManualClock(t0)
	cfg := Config{Quota: 2, Duration: 60}
	mk := func(failOpen bool) (*RedisStore, *Limiter) {
		st := NewRedisStore(client, RedisOptions{FailOpen: failOpen, Timeout: 50 * ms, Logger: logger})
		l, err := New(cfg, WithName("failover"), WithClock(c), WithStore(st))
		if err != nil {
			t.Fatal(err)
		}
		return st, l
	}
	openStore, open := mk(true)
	closedStore, closed := mk(false)
	k := []byte("k")
	if d := open.Allow(k); !d.Allowed || d.Fallback || d.Remaining != 1 {
		t.Fatalf("before the kill: %+v", d)
	}

	srv.Stop()
	for i := range 3 {
		if d := open.Allow(k); !d.Allowed || !d.Fallback {
			t.Fatalf("fail open, call %d: %+v", i, d)
		}
		if d := closed.Allow(k); d.Allowed || !d.Fallback || d.RetryAfterSeconds() != 1 {
			t.Fatalf("fail closed, call %d: %+v", i, d)
		}
	}
	if s := openStore.Stats(); s.Errors != 1 || s.FallbackAllowed != 3 {
		t.Errorf("open store stats %+v: want 1 error (then backoff), 3 fallbacks", s)
	}
	if s := closedStore.Stats(); s.Errors != 1 || s.FallbackRejected != 3 {
		t.Errorf("closed store stats %+v", s)
	}
	// After the backoff the next decision asks Redis again, fails again,
	// and is not logged again within the minute.
	c.Advance(RedisBackoff)
	if d := open.Allow(k); !d.Allowed || !d.Fallback {
		t.Fatalf("fail open after backoff: %+v", d)
	}
	if s := openStore.Stats(); s.Errors != 2 {
		t.Errorf("open store stats %+v: want a second try after the backoff", s)
	}
	if n := strings.Count(logBuf.String(), "Redis failing"); n != 2 {
		t.Errorf("logged %d times, want once a minute per store:\n%s", n, logBuf.String())
	}

	srv.Restart()
	// Recovery: once the backoff is over the next decision asks Redis. The
	// client may need a call or two to notice the new server.
	recovered := func(l *Limiter) bool {
		for range 20 {
			c.Advance(RedisBackoff)
			if d := l.Allow(k); !d.Fallback {
				return d.Allowed // the restarted Redis is empty: a fresh key
			}
		}
		return false
	}
	if !recovered(open) || !recovered(closed) {
		t.Fatal("no recovery after restart")
	}
}

// Two gateway instances (two clients, two stores, two limiters with the same
// name) on one Redis admit exactly quota in total, concurrently — for a
// short key and for an 8 KB one, which both instances name in Redis by the
// same digest.
func TestRedisTwoInstancesExactQuota(t *testing.T) {
	srv := redistest.Start(t)
	c := NewManualClock(t0)
	long := bytes.Repeat([]byte("u"), 8<<10)
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket, LeakyBucket} {
		const quota = 50
		cfg := Config{Quota: quota, Duration: 60, Algorithm: alg}
		var ls [2]*Limiter
		for i := range ls {
			// A generous timeout: this test is about sharing, and a loaded
			// machine (the race pass) can hold a round trip past the 50 ms
			// default, which would turn a decision into a fallback.
			l, err := New(cfg, WithName("shared"), WithClock(c), WithStore(redisStore(t, srv, func(o *RedisOptions) { o.Timeout = 2 * time.Second })))
			if err != nil {
				t.Fatal(err)
			}
			ls[i] = l
		}
		for _, key := range [][]byte{[]byte("k"), long} {
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for range 20 {
						if d := ls[g%2].Allow(key); d.Allowed {
							admitted.Add(1)
						} else if d.Fallback {
							t.Error("fallback decision")
						}
					}
				})
			}
			wg.Wait()
			want := int64(quota)
			if alg == LeakyBucket {
				want++ // the one being served plus bucket_size queued
			}
			if n := admitted.Load(); n != want {
				t.Errorf("%s, %d-byte key: %d admitted by two instances, want exactly %d", alg, len(key), n, want)
			}
		}
	}
	// The long key is stored under the first 48 hex digits of its SHA-256,
	// the short one as it is; no Redis key holds the 8 KB.
	sum := sha256.Sum256(long)
	want := map[string]bool{}
	for _, alg := range []string{"fw", "sw", "tb", "lb"} {
		want["premier:rl:shared:"+alg+":k"] = true
		want["premier:rl:shared:"+alg+":"+hex.EncodeToString(sum[:24])] = true
	}
	keys, err := srv.Client().Do(context.Background(), srv.Client().B().Keys().Pattern("premier:rl:shared:*").Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected Redis key %.80q (%d bytes)", k, len(k))
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("Redis keys missing: %v; have %q", want, keys)
	}
}

// Without an injected clock the scripts read Redis's TIME.
func TestRedisServerTime(t *testing.T) {
	srv := redistest.Start(t)
	l, err := New(Config{Quota: 1, Duration: 3600, Algorithm: TokenBucket}, WithStore(redisStore(t, srv, nil)))
	if err != nil {
		t.Fatal(err)
	}
	k := []byte("k")
	if d := l.Allow(k); !d.Allowed || d.Fallback {
		t.Fatalf("%+v", d)
	}
	if d := l.Allow(k); d.Allowed || d.RetryAfter < 3500*time.Second {
		t.Fatalf("%+v", d)
	}
}

// A flood of denied requests is answered locally until RetryAfter, without
// round trips, and the answers count down exactly.
func TestRedisDenialCache(t *testing.T) {
	srv := redistest.Start(t)
	store := redisStore(t, srv, nil)
	c := NewManualClock(t0)
	l, err := New(Config{Quota: 1, Duration: 10}, WithName("deny"), WithClock(c), WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	k := []byte("k")
	l.Allow(k)
	want(t, "denied by redis", l.Allow(k), rejected(1, 10*time.Second, 10*time.Second))
	calls := store.Stats().Calls
	for range 100 {
		c.Advance(10 * ms)
		l.Allow(k)
	}
	want(t, "denied from cache", l.Allow(k), rejected(1, 9*time.Second, 9*time.Second))
	if s := store.Stats(); s.Calls != calls || s.CachedDenials != 101 {
		t.Errorf("stats %+v: want no new calls (had %d), 101 cached denials", s, calls)
	}
	c.Advance(9 * time.Second)
	if d := l.Allow(k); !d.Allowed || d.Fallback {
		t.Fatalf("after RetryAfter: %+v", d)
	}
}
