package limiter

import (
	"math"
	"strconv"
	"time"
)

// The HTTP header values follow draft-ietf-httpapi-ratelimit-headers-08 and
// later (checked against -10 and -11, the newest form): two Structured
// Fields, each a List whose members are a policy name (an sf-string) with
// parameters.
//
//	RateLimit-Policy: "name";q=100;w=60   quota q per window of w seconds
//	RateLimit:        "name";r=42;t=17    r remaining, t seconds until reset
//
// q is the rule's quota and w its duration in whole seconds (rounded up, at
// least 1). For token_bucket and leaky_bucket the policy advertises the
// sustained rate (quota per duration); the burst (bucket_size) is not
// expressible in the draft's parameters. t is Decision.Reset in whole
// seconds, rounded up. Older drafts' RateLimit-Limit/-Remaining/-Reset
// headers are not produced.

// DefaultPolicyName is the policy name used when a limiter has no name.
const DefaultPolicyName = "default"

// AppendPolicy appends the RateLimit-Policy value for cfg, named policy, to
// dst. It does not allocate when dst has room.
func AppendPolicy(dst []byte, policy string, cfg Config) []byte {
	dst = appendSFString(dst, policy)
	dst = append(dst, ";q="...)
	dst = strconv.AppendInt(dst, int64(cfg.Quota), 10)
	dst = append(dst, ";w="...)
	w := int64(math.Ceil(cfg.Duration))
	return strconv.AppendInt(dst, max(w, 1), 10)
}

// AppendRateLimit appends the RateLimit value of d, for the policy named
// policy, to dst. It does not allocate when dst has room.
func (d Decision) AppendRateLimit(dst []byte, policy string) []byte {
	dst = appendSFString(dst, policy)
	dst = append(dst, ";r="...)
	dst = strconv.AppendInt(dst, int64(max(d.Remaining, 0)), 10)
	dst = append(dst, ";t="...)
	t := int64((d.Reset + time.Second - 1) / time.Second)
	return strconv.AppendInt(dst, max(t, 0), 10)
}

// appendSFString appends s as a Structured Field sf-string: printable ASCII
// only, with '"' and '\' escaped; other bytes become '_'. An empty s becomes
// DefaultPolicyName.
func appendSFString(dst []byte, s string) []byte {
	if s == "" {
		s = DefaultPolicyName
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
