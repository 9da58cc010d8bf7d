//go:build !unix

package proxy

import "syscall"

// rawIO: not here; connections keep Go's own reads and writes.
const rawIO = false

func rawRead(uintptr, []byte) (int, syscall.Errno)  { return 0, syscall.EINVAL }
func rawWrite(uintptr, []byte) (int, syscall.Errno) { return 0, syscall.EINVAL }
