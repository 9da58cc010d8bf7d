package proxy

import (
	"bytes"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Watcher reloads the gateway when its config file changes. It polls the
// file (size, mtime and content), which also works on editors that replace
// the file and on network filesystems.
type Watcher struct {
	g        *Gateway
	path     string
	interval time.Duration
	stop     chan struct{}
	done     sync.WaitGroup
	last     []byte
}

// Watch starts watching path every interval; Stop ends it.
func (g *Gateway) Watch(path string, interval time.Duration) *Watcher {
	w := &Watcher{g: g, path: path, interval: interval, stop: make(chan struct{})}
	w.last, _ = os.ReadFile(path)
	w.done.Add(1)
	go w.run()
	return w
}

func (w *Watcher) run() {
	defer w.done.Done()
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
			w.check()
		}
	}
}

func (w *Watcher) check() {
	data, err := os.ReadFile(w.path)
	if err != nil || bytes.Equal(data, w.last) {
		return
	}
	w.last = data
	w.g.ReloadLogged(w.path, "file changed")
}

// Stop ends the watcher and waits for it.
func (w *Watcher) Stop() {
	close(w.stop)
	w.done.Wait()
}

// ReloadLogged reloads path and logs the outcome: every error with its
// position when the file is rejected (the old config keeps serving).
func (g *Gateway) ReloadLogged(path, reason string) bool {
	if err := g.ReloadFile(path); err != nil {
		g.log.Error("config reload rejected; the previous config keeps serving",
			slog.String("file", path), slog.String("reason", reason), slog.String("errors", err.Error()))
		return false
	}
	g.log.Info("config reloaded", slog.String("file", path), slog.String("reason", reason))
	return true
}
