// Package ascii owns the byte-level handling of protocol text that the
// request path and the configuration share: header values, host names,
// schemes and methods compared ignoring ASCII case without allocating (RFC
// 9110 treats them so, where bytes.EqualFold would also fold Unicode and
// strings.EqualFold would need a conversion), the RFC 9110 token check
// (method and header names) and the trimming of optional whitespace.
package ascii
