package proxy

import (
	"testing"
)

// An exact rule with policies (here a global rate limit) covers the forms
// of its path that backends such as Express (strict: false) or a file
// system dropping trailing dots serve as the path itself: a trailing slash,
// a trailing dot segment, a trailing dot, escaped or not. On the limited
// gateway every variant answers 429 from the baseline's one spent token:
// they all count against the rule's limit. The backend gets the normalised
// path as always. Other paths under the rule's path stay out.
func TestHardeningExactRuleTrailingForms(t *testing.T) {
	checkPolicy(t, "/api/login", "/api/login", []pathCase{
		{"/api/login", "admin /api/login"},
		{"/api/login/", "admin /api/login/"},
		{"/api/login/.", "admin /api/login/"},
		{"/api/login/%2e", "admin /api/login/"},
		{"/api/login/%2E/", "admin /api/login/"},
		{"/api/login/./.", "admin /api/login/"},
		{"/api//login//", "admin /api/login/"},
		{"/api/x/../login/", "admin /api/login/"},
		{"/api/login%2e", "admin /api/login."},
		{"/api/login%2E", "admin /api/login."},
		{"/api/login.", "admin /api/login."},
		{"/api/login./", "admin /api/login./"},
		{"/api/login%2e%2e", "admin /api/login.."},
		{"/api/login/?next=/x", "admin /api/login/?next=/x"},
		{"/api/login/.?a=1", "admin /api/login/?a=1"},
		{"/api/login.json", "public /api/login.json"},
		{"/api/login/x", "public /api/login/x"},
		{"/api/loginx", "public /api/loginx"},
		{"/api/login/..", "public /api/"},
		{"/api/login%2f", "400"},
	})
}

// strict: true keeps the exact rule to its own path: the trailing forms go
// to the next rule (here the public catch-all), for a backend that serves
// them as different resources.
func TestHardeningExactRuleStrict(t *testing.T) {
	startPolicyGatewayWith(t, "/api/login", "strict: true", 1000000).check(t, []pathCase{
		{"/api/login", "admin /api/login"},
		{"/api/login/", "public /api/login/"},
		{"/api/login/.", "public /api/login/"},
		{"/api/login%2e", "public /api/login."},
		{"/api/login./", "public /api/login./"},
	})
	pg := startPolicyGatewayWith(t, "/api/login", "strict: true", 1)
	pg.check(t, []pathCase{{"/api/login", "admin /api/login"}})
	pg.limited = true
	pg.check(t, []pathCase{
		{"/api/login", "admin (429)"},
		{"/api/login/", "public /api/login/"},
	})
}
