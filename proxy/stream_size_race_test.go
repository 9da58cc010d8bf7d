//go:build race

package proxy

// streamTestBytes is smaller under the race detector, which is ~10x slower.
const streamTestBytes int64 = 128 << 20
