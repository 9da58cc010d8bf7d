package ui

import "github.com/premier-gateway/premier/ui/source"

// HealthEvent is a backend's health or breaker state change. A source
// that keeps no timeline of its own (source.Snapshot.HealthEvents nil) gets
// the changes the dashboard sees between its snapshots.
type HealthEvent = source.HealthEvent
