package auth

import "testing"

func TestTakeQueryParam(t *testing.T) {
	for _, tc := range []struct{ in, out, value string }{
		{"/p", "/p", ""},
		{"/p?api_key=k", "/p", "k"},
		{"/p?a=1&api_key=k&b=2", "/p?a=1&b=2", "k"},
		{"/p?api_key=k1&api_key=k2", "/p", "k1"},
		{"/p?api%5Fkey=a%2Bb+c&x", "/p?x", "a+b c"},
		{"/p?api_key&x=1", "/p?x=1", ""},
		{"/p?&&api_key=k&&", "/p", "k"},
		{"/p?API_KEY=k&api_keys=1", "/p?API_KEY=k&api_keys=1", ""},
		{"/p?a=%zz&api_key=%4", "/p?a=%zz", "%4"},
		{"/p?", "/p", ""},
	} {
		out, v, found := takeQueryParam([]byte(tc.in), "api_key", nil)
		if string(out) != tc.out || string(v) != tc.value || found != (tc.value != "" || tc.in == "/p?api_key&x=1") {
			t.Errorf("%q: got %q %q %v, want %q %q", tc.in, out, v, found, tc.out, tc.value)
		}
	}
}
