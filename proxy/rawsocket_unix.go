//go:build unix

package proxy

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

// rawIO: sockets here are non-blocking file descriptors, so rawSocket
// may serve backend and client connections.
const rawIO = true
