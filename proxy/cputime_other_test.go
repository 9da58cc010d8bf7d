//go:build !linux

package proxy

// threadCPU is not measured off Linux: benchmarks report wall time only.
func threadCPU() int64 { return 0 }

// processCPU is not measured off Linux either.
func processCPU() int64 { return 0 }
