// Package wsrelay owns the relay of proxied WebSocket connections once the
// backend has answered the upgrade with a 101: the relayed connection
// (Conn), its two frame-aware pumps, the close frames the gateway sends
// itself, and the registry of open connections with per-rule counters and
// connection caps (Hub), which closes them on shutdown and after a reload
// removed their rule. The upgrade itself (origin check, admission, picking
// a backend, the handshake) belongs to the request path, which hands the
// relay plain values: it knows nothing of YAML, routes' policies, the
// backend transport or metrics.
//
// Design choice: a frame-aware relay, not github.com/fasthttp/websocket on
// both sides and not a blind byte tunnel. Each direction parses frame
// headers and forwards header and payload bytes unchanged (client frames
// keep the client's mask, which is valid towards the backend), in one
// write per read. That keeps what a blind tunnel gives — close codes and
// reasons, pings, fragments and any extension (permessage-deflate) pass
// through untouched, no copy, no per-message allocation — while knowing
// the boundaries lets the gateway count messages, enforce
// max_message_bytes, check framing, and inject its own close frames
// (1001, 1002, 1009, 1011) between frames. A library on both sides must
// unmask, buffer and re-frame every message and allocates per message;
// bench/wsbench measures both (figures in its README).
//
// An idle connection holds its Conn (two 1 KiB read buffers), two
// goroutines parked in Read and the two sockets; large messages borrow a
// pooled 32 KiB buffer only while they stream. Each direction writes
// before it reads again, so a slow reader stops the relay from reading its
// peer: TCP backpressure, with at most one buffer per direction in flight.
//
// Every relay goroutine has an owner: a Conn's two pumps end when both
// peers are done or cut, and Hub.CloseAll cuts them all within its grace.
package wsrelay
