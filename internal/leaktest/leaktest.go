// Package leaktest holds the goroutine-leak checks' shared allowances: the
// background goroutines fasthttp starts itself and ends on its own (the
// process-wide Date updater, worker-pool and idle-connection cleaners that
// sleep out their interval after Shutdown or Close, the DNS cache cleaner)
// and the ones certmagic keeps process-wide or ends at its next poll.
package leaktest

import "go.uber.org/goleak"

// FastHTTP returns the goleak options that ignore fasthttp's own
// background goroutines; every package's TestMain passes them to
// goleak.VerifyTestMain.
func FastHTTP() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
	}
}

// CertMagic returns the goleak options for the two goroutines certmagic
// starts that no Stop of ours can end: the ACME rate limiter it keeps for
// the life of the process, one per CA directory and account email (its
// map is package-private and never pruned; one per pebble a test starts),
// and the lock-file refresher of its file storage, which polls every 5 s
// and ends at the first poll after the lock is released. Every goroutine
// proxy/acme starts itself, and certmagic's maintenance, ends in Stop.
func CertMagic() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/caddyserver/certmagic.(*RingBufferRateLimiter).loop"),
		goleak.IgnoreAnyFunction("github.com/caddyserver/certmagic.keepLockfileFresh"),
	}
}
