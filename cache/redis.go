package cache

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/valyala/fasthttp"
)

// RedisOptions configures the shared Redis tier.
type RedisOptions struct {
	// Keyspace prefixes every Redis key and the purge channel, so gateways
	// sharing a keyspace share entries. It must not contain a NUL byte.
	// Default "premier".
	Keyspace string
	// Timeout bounds every Redis read on the request path; a slower or
	// failed read is a miss. Default 50ms.
	Timeout time.Duration
	// TTL is the Redis expiry of entries without a freshness lifetime: the
	// markers of Vary responses (every stored response has a lifetime).
	// Default 24h.
	TTL time.Duration
	// QueueSize is how many writes may wait for the background writer;
	// beyond it writes are dropped (and counted). Default 1024.
	QueueSize int
}

// Defaults for RedisOptions.
const (
	DefaultKeyspace     = "premier"
	DefaultRedisTimeout = 50 * time.Millisecond
	DefaultRedisTTL     = 24 * time.Hour
	DefaultQueueSize    = 1024
)

type redisConfig struct {
	client rueidis.Client
	opt    RedisOptions
}

// WithRedis adds the shared tier. Entries are written to Redis (SET PX, in
// the background) so other gateway instances answer from them, and read with
// one GET on a memory miss. Redis errors and timeouts are misses, never
// failed requests. Purges are applied in Redis and published so every
// instance drops its memory copy.
//
// Entries are read with plain GET, not rueidis client-side caching: the
// memory tier already holds hot entries, and DoCache would keep a second
// copy of every body (up to 128 MiB per connection by default). Client-side
// caching fits small shared metadata, not response bodies.
//
// The client is the caller's: Close does not close it.
func WithRedis(client rueidis.Client, o RedisOptions) Option {
	return func(opts *options) { opts.redis = &redisConfig{client: client, opt: o} }
}

// redisTier is the L2: reads on the request path, writes from one
// background goroutine, purges over pub/sub.
type redisTier struct {
	c       *Cache
	rdb     rueidis.Client
	opt     RedisOptions
	prefix  string // keyspace + NUL
	channel string

	queue  chan redisWrite
	cancel context.CancelFunc
	wg     sync.WaitGroup
	subs   atomic.Int64 // subscription confirmations seen
}

type redisWrite struct {
	e     *entry
	gen   uint64
	epoch uint64
	flush chan struct{} // tests: closed once everything before it is written
}

func newRedisTier(c *Cache, rc *redisConfig) (*redisTier, error) {
	o := rc.opt
	if o.Keyspace == "" {
		o.Keyspace = DefaultKeyspace
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultRedisTimeout
	}
	if o.TTL <= 0 {
		o.TTL = DefaultRedisTTL
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if strings.IndexByte(o.Keyspace, 0) >= 0 {
		return nil, ErrInvalidRule
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &redisTier{
		c: c, rdb: rc.client, opt: o,
		prefix:  o.Keyspace + "\x00",
		channel: o.Keyspace + "\x00purge",
		queue:   make(chan redisWrite, o.QueueSize),
		cancel:  cancel,
	}
	t.wg.Add(2)
	go t.writer(ctx)
	go t.subscriber(ctx)
	return t, nil
}

func (t *redisTier) close() {
	t.cancel()
	t.wg.Wait()
}

// primaryKey is keyspace NUL rule NUL key.
func (t *redisTier) primaryKey(rule string, key []byte) string {
	var b strings.Builder
	b.Grow(len(t.prefix) + len(rule) + 1 + len(key))
	b.WriteString(t.prefix)
	b.WriteString(rule)
	b.WriteByte(0)
	b.Write(key)
	return b.String()
}

// variantKey extends a primary key with Vary values: NUL "v" (NUL value)*.
func variantKey(primary string, values func(i int) []byte, n int) string {
	var b strings.Builder
	b.WriteString(primary)
	b.WriteString("\x00v")
	for i := range n {
		b.WriteByte(0)
		b.Write(values(i))
	}
	return b.String()
}

func (t *redisTier) entryKey(e *entry) string {
	k := t.primaryKey(e.rs.id, e.key)
	if e.kind == kindResponse && len(e.vary) > 0 {
		k = variantKey(k, func(i int) []byte { return e.vary[i].value }, len(e.vary))
	}
	return k
}

// l2Lookup reads key from Redis after a memory miss and promotes what it
// finds into memory. It returns a fresh response entry matching req, or
// the stale one it found (for revalidation), or neither.
func (c *Cache) l2Lookup(req *fasthttp.Request, rs *ruleState, key []byte, h uint64, now int64, gen, epoch uint64) (fresh, stale *entry) {
	t := c.l2
	if t == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.opt.Timeout)
	defer cancel()
	pk := t.primaryKey(rs.id, key)
	e := t.get(ctx, pk, key)
	if e == nil {
		return nil, nil
	}
	e.rs, e.gen, e.epoch = rs, gen, epoch
	if e.kind == kindMarker {
		m := e
		c.setL1(h, m)
		vk := variantKey(pk, func(i int) []byte { return req.Header.PeekBytes(m.vary[i].name) }, len(m.vary))
		if e = t.get(ctx, vk, key); e == nil {
			return nil, nil
		}
		e.rs, e.gen, e.epoch = rs, gen, epoch
		if e.kind != kindResponse || e.markerID != m.markerID || len(e.vary) != len(m.vary) || !varyMatches(e, req) {
			return nil, nil
		}
		c.setL1(c.variantHash(h, m.vary, req), e)
	} else if len(e.vary) > 0 {
		return nil, nil
	} else {
		c.setL1(h, e)
	}
	if !e.fresh(now) {
		return nil, e
	}
	c.stats.redisHits.Add(1)
	return e, nil
}

// get reads and decodes one entry; errors other than "no such key" are
// counted.
func (t *redisTier) get(ctx context.Context, k string, key []byte) *entry {
	b, err := t.rdb.Do(ctx, t.rdb.B().Get().Key(k).Build()).AsBytes()
	if err != nil {
		if !rueidis.IsRedisNil(err) {
			t.c.stats.redisErrors.Add(1)
		}
		return nil
	}
	e, err := decodeEntry(b)
	if err != nil || string(e.key) != string(key) {
		return nil
	}
	return e
}

// enqueue hands e to the background writer, or drops it if the queue is full.
func (t *redisTier) enqueue(e *entry, gen, epoch uint64) {
	select {
	case t.queue <- redisWrite{e: e, gen: gen, epoch: epoch}:
	default:
		t.c.stats.redisDropped.Add(1)
	}
}

// flush waits until every write queued before it has been sent (tests).
func (t *redisTier) flush() {
	done := make(chan struct{})
	t.queue <- redisWrite{flush: done}
	<-done
}

const writeBatch = 64

// writer sends queued writes in pipelined batches until ctx ends, then
// sends what is left.
func (t *redisTier) writer(ctx context.Context) {
	defer t.wg.Done()
	batch := make([]redisWrite, 0, writeBatch)
	for {
		select {
		case w := <-t.queue:
			batch = append(batch[:0], w)
		fill:
			for len(batch) < writeBatch {
				select {
				case w := <-t.queue:
					batch = append(batch, w)
				default:
					break fill
				}
			}
			t.write(batch)
		case <-ctx.Done():
			batch = batch[:0]
			for len(t.queue) > 0 { // only this goroutine receives
				batch = append(batch, <-t.queue)
			}
			t.write(batch)
			return
		}
	}
}

// write sends one batch; entries purged since their fill are skipped.
func (t *redisTier) write(batch []redisWrite) {
	cmds := make(rueidis.Commands, 0, len(batch))
	now := t.c.nowNs()
	for _, w := range batch {
		if w.e == nil || w.e.rs.gen.Load() != w.gen || t.c.epoch.Load() != w.epoch {
			continue
		}
		ttl := t.opt.TTL
		if w.e.ttl != 0 {
			// Kept past freshness as long as a stale entry can be of use.
			ttl = time.Duration(w.e.storedAt + max(w.e.ttl, 0) + w.e.staleKeep - now)
			if ttl < time.Millisecond {
				continue
			}
		}
		cmds = append(cmds, t.rdb.B().Set().Key(t.entryKey(w.e)).
			Value(rueidis.BinaryString(w.e.blob)).PxMilliseconds(ttl.Milliseconds()).Build())
	}
	if len(cmds) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), t.writeTimeout())
		for _, r := range t.rdb.DoMulti(ctx, cmds...) {
			if r.Error() != nil {
				t.c.stats.redisErrors.Add(1)
			}
		}
		cancel()
	}
	for _, w := range batch {
		if w.flush != nil {
			close(w.flush)
		}
	}
}

// writeTimeout bounds background writes and purges, which carry whole
// bodies and are off the request path.
func (t *redisTier) writeTimeout() time.Duration { return max(20*t.opt.Timeout, time.Second) }
