//go:build !race

package proxy

// streamTestBytes is the size of the streaming tests: 1 GiB down, 256 MiB up.
const streamTestBytes int64 = 1 << 30
