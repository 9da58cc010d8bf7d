package access

import (
	"strings"
	"testing"
)

func TestCORSOrigins(t *testing.T) {
	c, err := NewCORS(&CORSConfig{AllowOrigins: []string{"https://app.example.com", "https://*.example.org", "http://localhost:3000",
		"https://api.example.net:443/", "http://[::1]:8080"}, AllowMethods: []string{"GET", "POST"}})
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example.com":          true,
		"HTTPS://APP.EXAMPLE.COM":          true,
		"http://app.example.com":           false,
		"https://app.example.com:444":      false,
		"https://app.example.com.evil.com": false,
		"https://evilapp.example.com":      false,
		"https://a.example.org":            true,
		"https://a.b.example.org":          false,
		"https://example.org":              false,
		"https://a.example.org:8443":       false,
		"http://localhost:3000":            true,
		"http://localhost":                 false,
		"https://api.example.net":          true, // :443 is https's default
		"http://[::1]:8080":                true,
		"http://[::1]":                     false,
		"null":                             false,
		"":                                 false,
		"https://app.example.com/x":        false,
	} {
		if got := c.OriginAllowed([]byte(origin)); got != want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
	if !c.VariesByOrigin() || c.AnyOrigin() {
		t.Error("a list of origins must vary by Origin")
	}
	for m, want := range map[string]bool{"GET": true, "post": true, "PUT": false, "": false} {
		if got := c.MethodAllowed([]byte(m)); got != want {
			t.Errorf("MethodAllowed(%q) = %v, want %v", m, got, want)
		}
	}
	if string(c.AllowMethods()) != "GET, POST" || c.MaxAge() != nil || c.AllowHeaders() != nil {
		t.Errorf("header values: %q %q %q", c.AllowMethods(), c.MaxAge(), c.AllowHeaders())
	}

	any, err := NewCORS(&CORSConfig{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, MaxAge: 600})
	if err != nil {
		t.Fatal(err)
	}
	if !any.OriginAllowed([]byte("https://whatever.test")) || any.VariesByOrigin() || !any.MethodAllowed([]byte("PATCH")) ||
		string(any.MaxAge()) != "600" {
		t.Error("\"*\" origins and methods")
	}
}

func TestCORSConfigValidate(t *testing.T) {
	cases := []struct {
		c    CORSConfig
		want string // "" = valid
	}{
		{CORSConfig{AllowOrigins: []string{"https://app.example.com"}}, ""},
		{CORSConfig{}, "allow_origins: required"},
		{CORSConfig{AllowOrigins: []string{"*"}, AllowCredentials: true}, "allow_origins: \"*\" cannot be combined with allow_credentials"},
		{CORSConfig{AllowOrigins: []string{"https://a.test"}, AllowHeaders: []string{"*"}, AllowCredentials: true}, "allow_headers: \"*\" is a literal"},
		{CORSConfig{AllowOrigins: []string{"app.example.com"}}, "allow_origins: \"app.example.com\" is not an origin"},
		{CORSConfig{AllowOrigins: []string{"https://*.*.example.com"}}, "allow_origins:"},
		{CORSConfig{AllowOrigins: []string{"https://a.*.com"}}, "allow_origins:"},
		{CORSConfig{AllowOrigins: []string{"https://app.example.com/path"}}, "allow_origins:"},
		{CORSConfig{AllowOrigins: []string{"https://app.example.com:99999"}}, "allow_origins:"},
		{CORSConfig{AllowOrigins: []string{"https://a.test"}, AllowMethods: []string{"GE T"}}, "allow_methods:"},
		{CORSConfig{AllowOrigins: []string{"https://a.test"}, ExposeHeaders: []string{"X:Y"}}, "expose_headers:"},
		{CORSConfig{AllowOrigins: []string{"https://a.test"}, MaxAge: -1}, "max_age:"},
	}
	for _, c := range cases {
		err := c.c.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.c, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: got %v, want an error containing %q", c.c, err, c.want)
		}
	}
}
