package edge

import (
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// Session ticket keys: a new key every TicketRotation, and the
// TicketKeysKept-1 before it kept to decrypt, so a ticket resumes a
// session for at least (TicketKeysKept-1)×TicketRotation (24 h) and at most
// TicketKeysKept×TicketRotation (36 h) after it was issued; after that the
// key that sealed it is gone and the client makes a full handshake. A key
// that leaks exposes at most that window of recorded sessions (forward
// secrecy of resumed sessions is bounded by the keys' lifetime).
const (
	TicketRotation = 12 * time.Hour
	TicketKeysKept = 3
)

// TicketKeys rotates a tls.Config's session ticket keys.
type TicketKeys struct {
	cfg  *tls.Config
	mu   sync.Mutex
	keys [][32]byte // newest first: it seals new tickets, all decrypt

	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

// NewTicketKeys sets a fresh key on cfg (before it serves) and, with an
// interval > 0, starts rotating every interval until Stop.
func NewTicketKeys(cfg *tls.Config, interval time.Duration) *TicketKeys {
	k := &TicketKeys{cfg: cfg, stop: make(chan struct{})}
	k.Rotate()
	if interval > 0 {
		k.wg.Add(1)
		go k.loop(interval)
	}
	return k
}

// Rotate puts a new random key first and drops the oldest beyond
// TicketKeysKept.
func (k *TicketKeys) Rotate() {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = append([][32]byte{key}, k.keys...)
	if len(k.keys) > TicketKeysKept {
		k.keys = k.keys[:TicketKeysKept]
	}
	k.cfg.SetSessionTicketKeys(k.keys)
}

// Stop ends the rotation and waits for it.
func (k *TicketKeys) Stop() {
	k.close.Do(func() { close(k.stop) })
	k.wg.Wait()
}

func (k *TicketKeys) loop(interval time.Duration) {
	defer k.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
			k.Rotate()
		}
	}
}
