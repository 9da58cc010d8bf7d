package cache

import (
	"bytes"
	"slices"

	"github.com/valyala/fasthttp"
)

// maxSortedParams is how many query parameters AppendDefaultKey sorts on the
// stack; more than that costs one allocation.
const maxSortedParams = 32

// AppendDefaultKey appends the default cache key of req to dst and returns it:
//
//	G|host|path?a=1&b=2
//
// The method class is "G" for GET and HEAD (a HEAD is answered from the GET
// entry) and the method itself otherwise. The host is lower-cased. path is
// the gateway's normalised path (nil: the request's URI path). The query
// parameters are kept raw and sorted by name, and empty ones ("a=1&&b=2")
// are dropped, so "?b=2&a=1" and "?a=1&b=2" share an entry. Parameters a
// backend could read as one name ("a" and "a", "A", "%61", "a[]") keep the
// order they were sent in: "?a=2&a=1" and "?a=1&a=2" are different entries,
// since a backend taking the last value answers them differently. A query
// with a ';' (a separator to some frameworks) is kept exactly as sent. It
// does not allocate when dst has room and there are at most 32 parameters.
func AppendDefaultKey(dst []byte, req *fasthttp.Request, path []byte) []byte {
	return appendKey(dst, req, path, true)
}

// AppendSharedKey is AppendDefaultKey without the host ("G||path?a=1"): the
// default key of a rule whose cache is shared_across_hosts.
func AppendSharedKey(dst []byte, req *fasthttp.Request, path []byte) []byte {
	return appendKey(dst, req, path, false)
}

func appendKey(dst []byte, req *fasthttp.Request, path []byte, withHost bool) []byte {
	m := req.Header.Method()
	if bytes.Equal(m, methodGet) || bytes.Equal(m, methodHead) {
		dst = append(dst, 'G')
	} else {
		dst = append(dst, m...)
	}
	dst = append(dst, '|')
	if withHost {
		for _, c := range req.Host() {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
	}
	dst = append(dst, '|')
	if path == nil {
		path = req.URI().Path()
	}
	dst = append(dst, path...)
	return appendSortedQuery(dst, req.URI().QueryString())
}

var (
	methodGet  = []byte(fasthttp.MethodGet)
	methodHead = []byte(fasthttp.MethodHead)
)

// span is a [start, end) range inside some byte slice.
type span struct{ start, end uint32 }

// appendSortedQuery appends "?" and q's parameters sorted by name (stable,
// see compareParamNames), or nothing if q has none.
func appendSortedQuery(dst, q []byte) []byte {
	if len(q) == 0 {
		return dst
	}
	if bytes.IndexByte(q, ';') >= 0 {
		// Sorting at '&' alone could move a ';'-separated parameter past
		// another of its name; keeping the query whole is always safe.
		dst = append(dst, '?')
		return append(dst, q...)
	}
	var stack [maxSortedParams]span
	params := stack[:0]
	start := 0
	for i := 0; i <= len(q); i++ {
		if i < len(q) && q[i] != '&' {
			continue
		}
		if i > start {
			params = append(params, span{uint32(start), uint32(i)})
		}
		start = i + 1
	}
	if len(params) > maxSortedParams {
		slices.SortStableFunc(params, func(a, b span) int {
			return compareParamNames(q[a.start:a.end], q[b.start:b.end])
		})
	}
	// Insertion sort, stable: short lists, no closure (a no-op after
	// SortStableFunc).
	for i := 1; i < len(params); i++ {
		for j := i; j > 0 && compareParamNames(q[params[j].start:params[j].end], q[params[j-1].start:params[j-1].end]) < 0; j-- {
			params[j], params[j-1] = params[j-1], params[j]
		}
	}
	for i, p := range params {
		if i == 0 {
			dst = append(dst, '?')
		} else {
			dst = append(dst, '&')
		}
		dst = append(dst, q[p.start:p.end]...)
	}
	return dst
}
