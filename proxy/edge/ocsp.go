package edge

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// StaplerOptions tune OCSP stapling; zero values take the defaults.
type StaplerOptions struct {
	// Retry is the wait after a failed fetch (responder down, an answer
	// that does not verify). Default 1 minute. It is also the shortest
	// wait between two fetches for one certificate.
	Retry time.Duration
	// Timeout bounds one fetch. Default 10 s.
	Timeout time.Duration
}

// Stapler keeps an OCSP response stapled to every served certificate
// that names a responder (its AIA OCSP URL) and whose file holds its
// issuer after it. Responses are fetched in the background, verified
// against the issuer, and refreshed halfway to their NextUpdate; while
// the responder is down the certificate is served with the last good
// response until that expires, then without a staple (clients then ask
// the responder themselves or go without). A revoked or unknown status
// is never stapled.
type Stapler struct {
	opts   StaplerOptions
	log    *slog.Logger
	client *http.Client

	mu    sync.Mutex
	state map[*Entry]*stapleState // the served entries with a responder

	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type stapleState struct {
	due        time.Time // next fetch
	nextUpdate time.Time // of the stapled response; zero without one
}

// NewStapler starts stapling store's certificates (and those of every
// later reload) until Stop. Call it before the store reloads.
func NewStapler(store *Store, log *slog.Logger, opts StaplerOptions) *Stapler {
	if opts.Retry <= 0 {
		opts.Retry = time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &Stapler{opts: opts, log: log, state: map[*Entry]*stapleState{}, kick: make(chan struct{}, 1),
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: opts.Timeout}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	store.OnSwap(s.serve)
	s.wg.Add(1)
	go s.loop()
	return s
}

// Stop ends the fetches (one in progress is cancelled) and waits.
func (s *Stapler) Stop() {
	s.cancel()
	s.wg.Wait()
}

// serve takes a newly loaded set: its certificates with a responder and
// an issuer are fetched for at once.
func (s *Stapler) serve(entries []*Entry) {
	s.mu.Lock()
	s.state = map[*Entry]*stapleState{}
	for _, e := range entries {
		if len(e.Leaf.OCSPServer) > 0 && e.Issuer != nil {
			s.state[e] = &stapleState{}
		}
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Stapler) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		case <-timer.C:
		}
		next := s.refreshDue()
		timer.Stop()
		select { // drained for Reset
		case <-timer.C:
		default:
		}
		timer.Reset(time.Until(next))
	}
}

// refreshDue fetches for every certificate whose time has come and
// returns when the next one is due.
func (s *Stapler) refreshDue() time.Time {
	s.mu.Lock()
	var due []*Entry
	now := time.Now()
	next := now.Add(time.Hour)
	for e, st := range s.state {
		if !st.due.After(now) {
			due = append(due, e)
		} else if st.due.Before(next) {
			next = st.due
		}
	}
	s.mu.Unlock()
	for _, e := range due {
		if s.ctx.Err() != nil {
			return next
		}
		at := s.refresh(e)
		if at.Before(next) {
			next = at
		}
	}
	return next
}

// refresh fetches e's response, staples it when good, and returns when
// to fetch again.
func (s *Stapler) refresh(e *Entry) time.Time {
	s.mu.Lock()
	st := s.state[e]
	s.mu.Unlock()
	if st == nil { // reloaded away meanwhile
		return time.Now().Add(time.Hour)
	}
	raw, resp, err := s.fetch(e)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || resp.Status != ocsp.Good {
		revoked := err == nil // verified, but not good: never served again
		if revoked {
			err = errNotGood(resp.Status)
		}
		if s.ctx.Err() == nil {
			s.log.Warn("OCSP response not stapled", slog.String("cert_file", e.Files.CertFile),
				slog.String("responder", e.Leaf.OCSPServer[0]), slog.String("error", err.Error()))
		}
		if expired := !st.nextUpdate.IsZero() && !now.Before(st.nextUpdate); revoked || expired {
			e.setStaple(nil)
			st.nextUpdate = time.Time{}
		}
		st.due = now.Add(s.opts.Retry)
		return st.due
	}
	e.setStaple(raw)
	st.nextUpdate = resp.NextUpdate
	wait := time.Hour // a response without NextUpdate: fetch hourly
	if !resp.NextUpdate.IsZero() {
		wait = resp.NextUpdate.Sub(now) / 2
	}
	st.due = now.Add(max(wait, s.opts.Retry))
	return st.due
}

// fetch asks e's responder and verifies the answer against e's issuer.
func (s *Stapler) fetch(e *Entry) ([]byte, *ocsp.Response, error) {
	req, err := ocsp.CreateRequest(e.Leaf, e.Issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Leaf.OCSPServer[0], bytes.NewReader(req))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/ocsp-request")
	hr.Header.Set("Accept", "application/ocsp-response")
	res, err := s.client.Do(hr)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, errStatus(res.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, nil, err
	}
	resp, err := ocsp.ParseResponseForCert(raw, e.Leaf, e.Issuer)
	if err != nil {
		return nil, nil, err
	}
	return raw, resp, nil
}
