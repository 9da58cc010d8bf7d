package proxy

// WebSocket is the `websocket` feature of a rule.
type WebSocket struct{}
