// Package compress owns response compression (the `compression` feature):
// which content coding a client gets, which answers are compressed, and the
// encoders.
//
//   - Negotiation ([Policy.Negotiate]): the client's Accept-Encoding with
//     its q-values (RFC 9110 §12.5.3): `*`, `identity;q=0` and `q=0`
//     exclusions honoured; among codings of equal weight the server's
//     order (the `algorithms` list) wins. When nothing the client accepts
//     is on offer the answer goes out as it is (identity), even when the
//     client refused identity: a gateway relays the backend's answer, it
//     does not replace it with a 406.
//   - Eligibility ([Policy.Applies]): a status with content (not 1xx,
//     204, 206, 304), no Content-Encoding, no Content-Range, no
//     Cache-Control: no-transform, a Content-Type in `types` (`text/*`
//     wildcards), and at least `min_bytes` when the size is known. An
//     eligible answer gets Vary: Accept-Encoding whatever the client asked
//     for; a HEAD or a request with Range is then answered as it is.
//   - Encoding: zstd and gzip from github.com/klauspost/compress and
//     brotli from github.com/molecule-man/go-brrr (fasthttp's own
//     dependencies), pooled per coding and level. A body held in memory is
//     encoded whole ([Policy.AppendEncoded]); a streamed body is encoded
//     as it is read ([Policy.Stream]) and goes out chunked, so a huge body
//     never sits in memory. Nothing here ever decompresses.
//
// The request path (package proxy) runs the stage in the fixed order, after
// the response headers and before the statistics, and keeps the encoded
// bodies of cached entries with them (cache.Cache.Derived). Everything here
// is immutable after construction and safe for concurrent use.
package compress
