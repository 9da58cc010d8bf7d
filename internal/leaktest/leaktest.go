// Package leaktest holds the goroutine-leak checks' shared allowances: the
// background goroutines fasthttp starts itself and ends on its own (the
// process-wide Date updater, worker-pool and idle-connection cleaners that
// sleep out their interval after Shutdown or Close, the DNS cache cleaner).
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
