//go:build linux || darwin || dragonfly || freebsd || netbsd

package sock

import (
	"syscall"
	"unsafe"
)

// rawRead is read(2) on fd without the scheduler's system-call state; fd
// must be non-blocking.
func rawRead(fd uintptr, p []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errno
}

// rawWrite is write(2) on fd, as rawRead.
func rawWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errno
}

// RawIO: sockets here are non-blocking file descriptors and
// syscall.RawSyscall makes the call itself, so a Socket may serve backend
// and client connections. (OpenBSD, Solaris, illumos and AIX reach the
// kernel only through libc's wrappers and keep Go's own reads and writes.)
const RawIO = true
