package cache

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// PurgeKey removes the entry stored for key under rule (the Policy.Rule it
// was looked up with), in memory and in Redis, and tells the other instances
// sharing the Redis keyspace to drop it. Variants stored for the key's Vary
// headers go with it: they hang off the key's marker, which is removed.
// The memory tier is purged even when the Redis step fails; the error says
// only that Redis (or the other instances) may still hold it.
func (c *Cache) PurgeKey(rule string, key []byte) error {
	c.l1.Del(c.hashKey(rule, key))
	if c.l2 == nil {
		return nil
	}
	t := c.l2
	ctx, cancel := context.WithTimeout(context.Background(), t.writeTimeout())
	defer cancel()
	err := t.rdb.Do(ctx, t.rdb.B().Del().Key(t.primaryKey(rule, key)).Build()).Error()
	return errors.Join(err, t.publish(ctx, "k"+rule+"\x00"+string(key)))
}

// PurgeRule invalidates every entry of rule in O(1): the rule's generation
// is part of each entry and is bumped, so older entries are misses from now
// on (their memory is reclaimed as they are evicted or looked up). Fills in
// flight when it runs store under the old generation and are not served.
// In Redis the rule's keys are deleted (SCAN + UNLINK on each node), and
// the other instances are told to bump their generation.
func (c *Cache) PurgeRule(rule string) error {
	c.rule(rule).gen.Add(1)
	if c.l2 == nil {
		return nil
	}
	t := c.l2
	ctx, cancel := context.WithTimeout(context.Background(), t.writeTimeout())
	defer cancel()
	err := t.unlinkMatching(ctx, globEscape(t.prefix+rule+"\x00")+"*")
	return errors.Join(err, t.publish(ctx, "r"+rule))
}

// PurgeAll invalidates every entry in O(1) (a cache-wide generation, as for
// PurgeRule), deletes the keyspace's entries in Redis and tells the other
// instances. Memoize results are purged too.
func (c *Cache) PurgeAll() error {
	c.epoch.Add(1)
	if c.l2 == nil {
		return nil
	}
	t := c.l2
	ctx, cancel := context.WithTimeout(context.Background(), t.writeTimeout())
	defer cancel()
	err := t.unlinkMatching(ctx, globEscape(t.prefix)+"*")
	return errors.Join(err, t.publish(ctx, "a"))
}

// applyPurge applies a purge published by another instance (or this one:
// applying it twice is harmless) to the memory tier.
func (c *Cache) applyPurge(msg string) {
	if msg == "" {
		return
	}
	switch arg := msg[1:]; msg[0] {
	case 'k':
		if rule, key, ok := strings.Cut(arg, "\x00"); ok {
			c.l1.Del(c.hashKey(rule, []byte(key)))
		}
	case 'r':
		c.rule(arg).gen.Add(1)
	case 'a':
		c.epoch.Add(1)
	}
}

func (t *redisTier) publish(ctx context.Context, msg string) error {
	return t.rdb.Do(ctx, t.rdb.B().Publish().Channel(t.channel).Message(msg).Build()).Error()
}

// unlinkMatching deletes the keys matching a SCAN pattern on every node.
func (t *redisTier) unlinkMatching(ctx context.Context, pattern string) error {
	var errs []error
	for _, node := range t.rdb.Nodes() {
		var cursor uint64
		for {
			se, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(1000).Build()).AsScanEntry()
			if err != nil {
				errs = append(errs, err)
				break
			}
			if len(se.Elements) > 0 {
				cmds := make(rueidis.Commands, len(se.Elements))
				for i, k := range se.Elements {
					cmds[i] = node.B().Unlink().Key(k).Build()
				}
				for _, r := range node.DoMulti(ctx, cmds...) {
					if err := r.Error(); err != nil {
						errs = append(errs, err)
					}
				}
			}
			if cursor = se.Cursor; cursor == 0 {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// globEscape quotes SCAN MATCH metacharacters.
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// subscriber applies purges published by other instances until ctx ends.
// It listens on a dedicated connection so that its subscription
// confirmations are its own. Purges published while it was disconnected are
// lost, so every subscription after the first invalidates the whole memory
// tier (Redis still holds the entries, so it refills cheaply).
func (t *redisTier) subscriber(ctx context.Context) {
	defer t.wg.Done()
	hooked := rueidis.WithOnSubscriptionHook(ctx, func(s rueidis.PubSubSubscription) {
		if s.Kind == "subscribe" && t.subs.Add(1) > 1 {
			t.c.epoch.Add(1)
		}
	})
	backoff := 50 * time.Millisecond
	for {
		dc, release := t.rdb.Dedicate()
		err := dc.Receive(hooked, dc.B().Subscribe().Channel(t.channel).Build(), func(m rueidis.PubSubMessage) {
			t.c.applyPurge(m.Message)
		})
		release()
		if ctx.Err() != nil || errors.Is(err, rueidis.ErrClosing) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
