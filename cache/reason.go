package cache

// Reason says why a response was not stored. Its String is the `detail` of
// the miss's Cache-Status header and the key in Stats.NotStored.
type Reason uint8

// Reasons a response is not stored.
const (
	stored             Reason = iota // not a reason: the response was stored
	ReasonHead                       // a HEAD response has no body to fill a GET entry
	ReasonStatus                     // status not in 200 203 204 300 301 308 404 410
	ReasonPartial                    // a partial body: 206 or Content-Range
	ReasonSetCookie                  // the response sets a cookie
	ReasonNoStore                    // Cache-Control: no-store (request or response)
	ReasonPrivate                    // Cache-Control: private
	ReasonNoCache                    // Cache-Control: no-cache without a validator to revalidate with
	ReasonAuth                       // request had Authorization; response not public/s-maxage/must-revalidate
	ReasonCookie                     // request had Cookie; response not public/s-maxage/must-revalidate
	ReasonBody                       // the GET had a body the key does not cover
	ReasonVaryStar                   // Vary: * never matches
	ReasonVaryLimit                  // Vary names more than maxVary request headers
	ReasonStreamed                   // body streamed (size unknown): passed through
	ReasonTooLarge                   // body larger than MaxEntryBytes
	ReasonExpired                    // freshness lifetime already over (max-age=0, Age ≥ max-age, Expires past or invalid) and no validator
	ReasonMemoryBudget               // body streamed: the gateway's budget for bodies held whole was spent (Fill.OverBudget)
	ReasonNoFreshness                // no s-maxage, max-age, Expires or Last-Modified, and no expire_s
	numReasons
)

var reasonNames = [numReasons]string{
	stored:          "stored",
	ReasonHead:      "head",
	ReasonStatus:    "status",
	ReasonPartial:   "partial",
	ReasonSetCookie: "set-cookie",
	ReasonNoStore:   "no-store",
	ReasonPrivate:   "private",
	ReasonNoCache:   "no-cache",
	ReasonAuth:      "authorization",
	ReasonCookie:    "cookie",
	ReasonBody:      "request-body",
	ReasonVaryStar:  "vary-star",
	ReasonVaryLimit: "vary-limit",
	ReasonStreamed:  "streamed",
	ReasonTooLarge:  "too-large",
	ReasonExpired:   "expired",

	ReasonMemoryBudget: "memory-budget",
	ReasonNoFreshness:  "no-freshness",
}

// String returns the reason's Cache-Status detail token, e.g. "set-cookie".
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}
