package edge

import (
	"crypto/sha256"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultPollInterval is how often the certificate files are looked at
// for a change (renewed by certbot, cert-manager, …).
const DefaultPollInterval = 2 * time.Second

// Reloader keeps a Store in step with its certificate files: it polls
// their size, modification time and content hash, and reloads the store
// when any changed; Reload forces it (SIGHUP). A pair that fails to load
// is refused with one log line naming the files and the error, and the
// certificates loaded before keep serving; the files are tried again when
// they change again (a half-written file completed, the key replaced).
type Reloader struct {
	store *Store
	log   *slog.Logger

	mu    sync.Mutex // serialises polls and forced reloads
	seen  string     // fingerprint of the files at the last attempt
	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

// NewReloader starts polling store's files every interval (default
// DefaultPollInterval) until Stop.
func NewReloader(store *Store, log *slog.Logger, interval time.Duration) *Reloader {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	r := &Reloader{store: store, log: log, stop: make(chan struct{})}
	r.seen = r.fingerprint()
	r.wg.Add(1)
	go r.poll(interval)
	return r
}

// Stop ends the polling and waits for it.
func (r *Reloader) Stop() {
	r.close.Do(func() { close(r.stop) })
	r.wg.Wait()
}

func (r *Reloader) poll(interval time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.check(false)
		}
	}
}

// Reload reads the files again whether or not they changed, and reports
// the failure (already logged) if any.
func (r *Reloader) Reload() error { return r.check(true) }

// check reloads when forced or when the files changed since the last
// attempt.
func (r *Reloader) check(force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fp := r.fingerprint()
	if !force && fp == r.seen {
		return nil
	}
	r.seen = fp
	if err := r.store.Reload(); err != nil {
		r.log.Error("tls certificates not reloaded: the previous ones keep serving", slog.String("files", r.files()), slog.String("error", err.Error()))
		return err
	}
	r.log.Info("tls certificates reloaded", slog.String("files", r.files()), slog.Int("certificates", r.store.Len()))
	return nil
}

// fingerprint sums every file's size, modification time and content, so
// a replacement that keeps size and time (a copy with -p) is seen too.
func (r *Reloader) fingerprint() string {
	h := sha256.New()
	for _, c := range r.store.certs {
		for _, name := range []string{c.CertFile, c.KeyFile} {
			_, _ = io.WriteString(h, name+"\x00")
			fi, err := os.Stat(name)
			if err != nil {
				_, _ = io.WriteString(h, "missing\x00")
				continue
			}
			_, _ = io.WriteString(h, fi.ModTime().String()+"\x00")
			if f, err := os.Open(name); err == nil {
				_, _ = io.Copy(h, io.LimitReader(f, 1<<20))
				_ = f.Close()
			}
		}
	}
	return string(h.Sum(nil))
}

func (r *Reloader) files() string {
	s := ""
	for i, c := range r.store.certs {
		if i > 0 {
			s += ", "
		}
		s += c.CertFile + " with " + c.KeyFile
	}
	return s
}
