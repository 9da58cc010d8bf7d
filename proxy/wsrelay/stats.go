package wsrelay

// Stats are one rule's WebSocket counters, kept across reloads
// (keyed by the rule's pattern). "In" is client → backend, "out" is
// backend → client; bytes are wire bytes (frame headers included).
type Stats struct {
	Route       string `json:"route"`
	Open        int64  `json:"open"`
	Accepted    uint64 `json:"accepted"`
	Refused     uint64 `json:"refused"` // origin, max_connections, shutdown
	MessagesIn  uint64 `json:"messages_in"`
	MessagesOut uint64 `json:"messages_out"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
}

// Stats returns every rule's counters, in the order the rules first
// proxied a WebSocket.
func (h *Hub) Stats() []Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Stats, 0, len(h.order))
	for _, n := range h.order {
		r := h.rules[n]
		out = append(out, Stats{
			Route: n, Open: r.open.Load(), Accepted: r.accepted.Load(), Refused: r.refused.Load(),
			MessagesIn: r.msgsIn.Load(), MessagesOut: r.msgsOut.Load(),
			BytesIn: r.bytesIn.Load(), BytesOut: r.bytesOut.Load(),
		})
	}
	return out
}
