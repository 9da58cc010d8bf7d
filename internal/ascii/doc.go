// Package ascii owns the byte-level comparisons of protocol text the request
// path makes without allocating: header values, host names, schemes and
// methods compared ignoring ASCII case (RFC 9110 treats them so), where
// bytes.EqualFold would also fold Unicode and strings.EqualFold would need a
// conversion.
package ascii
