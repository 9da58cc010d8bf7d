package source

// ExplainQuery is one request to explain: which rule it gets and what the
// gateway would do with it, without sending it anywhere.
type ExplainQuery struct {
	// Method is the request's method. Default GET.
	Method string `json:"method"`
	// URL is the absolute URL the client asks for:
	// http(s)://host[:port]/path?query. Required.
	URL string `json:"url"`
	// ClientIP is the client's address (the TCP peer). Default 127.0.0.1.
	ClientIP string `json:"client_ip"`
	// Headers are extra request headers, each "Name: value".
	Headers []string `json:"headers"`
}

// Explanation is what the gateway would do with an ExplainQuery, as the
// running configuration's compiled rules decide it.
type Explanation struct {
	Method   string `json:"method"`
	URL      string `json:"url"`
	Host     string `json:"host"`
	Path     string `json:"path"` // normalised, as matched and forwarded
	ClientIP string `json:"client_ip"`
	// Answered is set when the gateway answers before any rule (a
	// malformed request, a redirect to https, the dashboard's prefix):
	// its status and why. Rule and the rest are then empty.
	Answered *GatewayAnswer `json:"answered,omitempty"`
	// Rule is the matching rule's position in `paths` (1-based, as
	// `-check` counts), 0 when no rule matches and default_features apply.
	Rule    int    `json:"rule"`
	Pattern string `json:"pattern"` // the rule's pattern, or "default"
	// Skipped are the rules before it, each with why it did not match.
	Skipped []SkippedRule `json:"skipped"`
	// Policies are the rule's policies in the order they run.
	Policies []Policy `json:"policies"`
	// Backends are the servers the rule balances over ("app" in plugin
	// mode); empty when the rule has none (the gateway answers 404).
	Backends []string `json:"backends"`
	// LB is the balancer over Backends.
	LB string `json:"lb,omitempty"`
	// CacheKey and RateLimitKey are the keys this request gets ("" when
	// the rule has no cache or no rate limit; a `global` limit's key is
	// "global"), templates evaluated with the request's values.
	CacheKey     string `json:"cache_key,omitempty"`
	RateLimitKey string `json:"rate_limit_key,omitempty"`
	// Notes say what the explanation cannot know or what changes it
	// (credentials are not checked, a method the cache does not serve).
	Notes []string `json:"notes,omitempty"`
}

// GatewayAnswer is an answer the gateway gives before any rule.
type GatewayAnswer struct {
	Status   int    `json:"status"`
	Reason   string `json:"reason"`
	Location string `json:"location,omitempty"`
}

// SkippedRule is a rule before the match and the first of its criteria
// the request failed: "path", "host", "method", "header", "query" (Name
// says which header or parameter) or "invalid".
type SkippedRule struct {
	Rule    int    `json:"rule"` // 1-based
	Pattern string `json:"pattern"`
	Reason  string `json:"reason"`
	Name    string `json:"name,omitempty"`
}

// Policy is one policy of the matched rule, in the fixed order.
type Policy struct {
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
}
