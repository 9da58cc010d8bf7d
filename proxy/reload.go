package proxy

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
)

// Watcher reloads the gateway when its config file changes, or one of the
// files the running config's auth reads (keys_file, users_file). It polls
// the files' content (at most config.MaxFileBytes+1 bytes of each), which also works
// on editors that replace the file and on network filesystems. A change is
// applied once two polls in a row read the same bytes, so a file caught
// half-written is never loaded; a missing file (mid-rename) is waited out.
type Watcher struct {
	g        *Gateway
	path     string
	interval time.Duration
	stop     chan struct{}
	done     sync.WaitGroup
	last     []byte // the content last loaded or rejected (withAuthFiles)
	lastConf int    // how much of last is the config file's own bytes
	pending  []byte // a changed content seen once, applied if it stays
	waiting  bool
}

// Watch starts watching path every interval; Stop ends it.
func (g *Gateway) Watch(path string, interval time.Duration) *Watcher {
	w := &Watcher{g: g, path: path, interval: interval, stop: make(chan struct{})}
	conf, _ := config.ReadFile(path) // a file unreadable at start is loaded once readable
	w.last, w.lastConf = w.withAuthFiles(conf), len(conf)
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
	data, err := config.ReadFile(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		w.pending, w.waiting = nil, false // replaced by rename: look again
		return
	}
	if err != nil {
		// An unreadable or oversized file: its error stands for its
		// content (a config never contains NUL).
		data = []byte("\x00" + err.Error())
	}
	conf := data
	data = w.withAuthFiles(data)
	if bytes.Equal(data, w.last) {
		w.pending, w.waiting = nil, false
		return
	}
	if w.g.isOwnWrite(conf) && bytes.Equal(data[len(conf):], w.last[w.lastConf:]) {
		// The gateway's own write of the config it runs (a dashboard
		// apply or rollback): already loaded, not a second reload.
		w.last, w.lastConf, w.pending, w.waiting = data, len(conf), nil, false
		return
	}
	if !w.waiting || !bytes.Equal(data, w.pending) {
		w.pending, w.waiting = data, true // still being written? look again
		return
	}
	w.last, w.lastConf, w.pending, w.waiting = data, len(conf), nil, false
	if err != nil {
		w.g.reloadFailures.Add(1)
		w.g.logReload(w.path, "file changed", config.Problems{{File: w.path, Msg: err.Error()}})
		return
	}
	w.g.logReload(w.path, "file changed", w.g.reloadBytesAs(w.path, conf, "file changed"))
	// The new config may read other auth files: what is watched from now
	// on is the content with those, or the next poll would see a change.
	w.last, w.lastConf = w.withAuthFiles(conf), len(conf)
}

// withAuthFiles appends to the config's bytes, after a NUL (never in a
// config), the name and SHA-256 of every file the running config's auth
// reads, so a change to any of them is a change to watch. An unreadable
// file stands as its error; the reload then reports it and the old config
// serves on.
func (w *Watcher) withAuthFiles(conf []byte) []byte {
	files := w.g.Loaded().AuthFiles()
	if len(files) == 0 {
		return conf
	}
	out := bytes.Clone(conf)
	for _, f := range files {
		out = append(append(append(out, 0), f...), 0)
		h := sha256.New()
		fd, err := os.Open(f)
		if err == nil {
			_, err = io.Copy(h, io.LimitReader(fd, 64<<20))
			fd.Close()
		}
		if err != nil {
			out = append(out, err.Error()...)
			continue
		}
		out = h.Sum(out)
	}
	return out
}

// writeConfig saves a config text the gateway has just loaded (a
// dashboard apply or rollback) to its file, noting the text's hash first
// so the watcher knows the change for the gateway's own.
func (g *Gateway) writeConfig(path string, data []byte) error {
	h := sha256.Sum256(data)
	g.ownWrite.Store(&h)
	return config.WriteFile(path, data)
}

// isOwnWrite reports whether conf is the text the gateway last wrote to
// its config file and is running now.
func (g *Gateway) isOwnWrite(conf []byte) bool {
	h := g.ownWrite.Load()
	return h != nil && sha256.Sum256(conf) == *h && bytes.Equal(conf, g.Loaded().Source)
}

// Stop ends the watcher and waits for it.
func (w *Watcher) Stop() {
	close(w.stop)
	w.done.Wait()
}

// ReloadLogged reloads path and logs the outcome: every error with its
// position when the file is rejected (the old config keeps serving).
// The TLS certificate files are read again either way (SIGHUP is how an
// operator says "the certificates changed", whatever the config says).
func (g *Gateway) ReloadLogged(path, reason string) bool {
	err := g.reloadFile(path, reason)
	if err != nil { // an accepted reload read them already
		g.tls.reloadCertificates()
	}
	return g.logReload(path, reason, err)
}

func (g *Gateway) logReload(path, reason string, err error) bool {
	if err != nil {
		// One line per problem, each whole: a log reader (or grep) sees
		// every problem with its position, not one line of many.
		var ps config.Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			ps = config.Problems{{File: path, Msg: err.Error()}}
		}
		for _, p := range ps {
			g.log.Error("config reload rejected; the previous config keeps serving",
				slog.String("file", path), slog.String("reason", reason), slog.String("problem", p.String()))
		}
		return false
	}
	g.log.Info("config reloaded", slog.String("file", path), slog.String("reason", reason))
	return true
}
