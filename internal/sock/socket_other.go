//go:build !(linux || darwin || dragonfly || freebsd || netbsd)

package sock

import "syscall"

// RawIO: not here; connections keep Go's own reads and writes.
const RawIO = false

func rawRead(uintptr, []byte) (int, syscall.Errno)  { return 0, syscall.EINVAL }
func rawWrite(uintptr, []byte) (int, syscall.Errno) { return 0, syscall.EINVAL }
