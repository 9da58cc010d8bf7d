package upgrade

import "net"

// Inheritance is what a new process got from the old one; on Windows
// there is never one.
type Inheritance struct{}

// Inherited returns nil, nil: Windows processes always start fresh.
func Inherited() (*Inheritance, error) { return nil, nil }

// Listener returns nil.
func (in *Inheritance) Listener(string) net.Listener { return nil }

// Ready does nothing.
func (in *Inheritance) Ready() error { return nil }

// Close does nothing.
func (in *Inheritance) Close() {}
