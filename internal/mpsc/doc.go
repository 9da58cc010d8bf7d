// Package mpsc owns the bounded lock-free queue the request path hands
// finished records to (the access log's lines, the traces' spans): many
// producers, one consumer goroutine, fixed-size slots allocated once.
//
// A producer claims a slot, fills it in place and publishes it; it never
// waits: a full ring refuses the claim and the caller drops (and counts)
// its record. The consumer peeks the oldest published slot, reads it and
// releases it back to the producers. Publish reports the positions that
// close a quarter of the ring, so a consumer that sleeps between drains
// is woken once per quarter, never once per record.
package mpsc
