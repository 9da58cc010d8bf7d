//go:build unix

package main

import "syscall"

// raiseFileLimit sets RLIMIT_NOFILE's soft limit to the hard one and
// returns both as they are after. (The Go runtime raises it at start
// too on most systems; doing it here makes the gateway's figure the one
// it checks, and states the intent.)
func raiseFileLimit() (soft, hard uint64, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	if r.Cur < r.Max {
		raised := r
		raised.Cur = r.Max
		if err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			r = raised
		}
	}
	return uint64(r.Cur), uint64(r.Max), err
}
