package proxy

import (
	"sync"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
)

// versionLog is the configs the gateway ran, each stamped when it took
// effect, whoever loaded it (start, the dashboard, SIGHUP, the file
// watcher, a library caller): the dashboard's versions list and its
// rollback read it, so an edit made while no page was open is listed at
// its own time and can be rolled back to.
type versionLog struct {
	mu   sync.Mutex
	keep int              // versions kept (DefaultKeepVersions when 0)
	now  func() time.Time // tests inject a clock
	seq  int
	list []appliedVersion // oldest first
}

type appliedVersion struct {
	n      int
	at     time.Time
	origin string
	text   []byte
	rules  int
}

// record adds l, which has just taken effect, as the newest version and
// returns its number. Unless always (an apply or rollback: each is a
// version, so two edits from one base version cannot both pass the
// conflict check), a text the same as the newest version's (SIGHUP on an
// unchanged file) is not a new version: its number is returned.
func (v *versionLog) record(l *config.Loaded, origin string, always bool) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.list); n > 0 && !always && string(v.list[n-1].text) == string(l.Source) {
		return v.list[n-1].n
	}
	now := time.Now
	if v.now != nil {
		now = v.now
	}
	v.seq++
	v.list = append(v.list, appliedVersion{n: v.seq, at: now(), origin: origin,
		text: append([]byte(nil), l.Source...), rules: len(l.Config.Paths)})
	keep := v.keep
	if keep <= 0 {
		keep = DefaultKeepVersions
	}
	if len(v.list) > keep {
		v.list = append(v.list[:0], v.list[len(v.list)-keep:]...)
	}
	return v.seq
}

// setKeep bounds the versions kept (≤ 0: DefaultKeepVersions).
func (v *versionLog) setKeep(keep int) {
	v.mu.Lock()
	v.keep = keep
	v.mu.Unlock()
}

// current returns the newest version's number (the running config's).
func (v *versionLog) current() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.list) == 0 {
		return 0
	}
	return v.list[len(v.list)-1].n
}

// all returns the kept versions, oldest first (their texts are shared:
// never written).
func (v *versionLog) all() []appliedVersion {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]appliedVersion(nil), v.list...)
}

// find returns version n's text and true, or false when it is not kept.
func (v *versionLog) find(n int) ([]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.list {
		if v.list[i].n == n {
			return v.list[i].text, true
		}
	}
	return nil, false
}
