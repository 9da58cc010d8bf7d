package lb

import (
	"crypto/tls"
	"testing"
)

// An https backend is keyed by URL and TLS settings: one URL under two
// settings is two backends with their own clients, names and session
// caches; an http URL ignores the settings.
func TestPoolGetTLSKeysBySettings(t *testing.T) {
	p := NewPool(nil)
	defer p.Close()
	def, err := p.Get(Server{URL: "https://127.0.0.1:8443"})
	if err != nil {
		t.Fatal(err)
	}
	if c := def.Client.TLSConfig; c == nil || c.ServerName != "127.0.0.1" || c.ClientSessionCache == nil {
		t.Fatalf("default TLS config %+v", c)
	}
	top := &TLS{Config: &tls.Config{ServerName: "api.internal"}, ID: "aaaa"}
	rule := &TLS{Config: &tls.Config{}, ID: "bbbb", Label: "#tls-bbbb"}
	a, _ := p.GetTLS(Server{URL: "https://127.0.0.1:8443"}, top)
	a2, _ := p.GetTLS(Server{URL: "https://127.0.0.1:8443/"}, &TLS{Config: top.Config, ID: "aaaa"})
	b, _ := p.GetTLS(Server{URL: "https://127.0.0.1:8443"}, rule)
	if a != a2 || a == def || a == b || b == def {
		t.Fatal("backends not keyed by URL and settings")
	}
	if a.URL != "https://127.0.0.1:8443" || b.URL != "https://127.0.0.1:8443#tls-bbbb" || a.Key == def.Key {
		t.Fatalf("names %q %q, keys %q %q", a.URL, b.URL, a.Key, def.Key)
	}
	if a.Client.TLSConfig.ServerName != "api.internal" || top.Config.ClientSessionCache != nil ||
		a.Client.TLSConfig.ClientSessionCache == b.Client.TLSConfig.ClientSessionCache {
		t.Fatal("each backend needs its own copy of the settings and its own session cache")
	}
	h1, _ := p.GetTLS(Server{URL: "http://127.0.0.1:8080"}, rule)
	h2, _ := p.Get(Server{URL: "http://127.0.0.1:8080"})
	if h1 != h2 || h1.URL != "http://127.0.0.1:8080" || h1.Client.TLSConfig != nil {
		t.Fatal("an http backend must ignore TLS settings")
	}
	p.Retain([]string{a.Key, h1.Key})
	if bs := p.Backends(); len(bs) != 2 || bs[0] != h1 || bs[1] != a {
		t.Fatalf("Retain by key kept %v", bs)
	}
}
