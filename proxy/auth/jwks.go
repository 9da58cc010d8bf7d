package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// keySet is a set of public keys: by `kid`, and all of them for a token
// that names none.
type keySet struct {
	byKID map[string]crypto.PublicKey
	all   []crypto.PublicKey
}

func (s *keySet) add(kid string, k crypto.PublicKey) {
	if kid != "" {
		s.byKID[kid] = k
	}
	s.all = append(s.all, k)
}

// jwk is one JSON Web Key (RFC 7517/7518/8037), the public members only.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads a JWKS document. Keys of an unknown type, or for
// encryption (`use: enc`), are skipped; a key of a known type that does
// not parse is an error, and so is a set with no usable key.
func parseJWKS(b []byte) (*keySet, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %v", err)
	}
	s := &keySet{byKID: map[string]crypto.PublicKey{}}
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pk, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %v", i+1, k.Kid, err)
		}
		if pk != nil {
			s.add(k.Kid, pk)
		}
	}
	if len(s.all) == 0 {
		return nil, errors.New("no signature key in the set")
	}
	return s, nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// publicKey is the key k describes; nil (no error) for a type not used here.
func (k *jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key (n must be at least 2048 bits)")
		}
		ev := new(big.Int).SetBytes(e)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev.Int64())}, nil
	case "EC":
		var c elliptic.Curve
		switch k.Crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		case "P-521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("unknown curve %q", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		size := (c.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC point")
		}
		raw := append(append([]byte{4}, x...), y...)
		return ecdsa.ParseUncompressedPublicKey(c, raw)
	case "OKP":
		x, err := b64(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP key (only Ed25519)")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, nil
}

// readKeyFile reads key_file: a JWKS document, or PEM public keys and
// certificates.
func readKeyFile(path string) (*keySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key_file: %v", err)
	}
	if len(b) > 0 && b[0] == '{' {
		s, err := parseJWKS(b)
		if err != nil {
			return nil, fmt.Errorf("key_file: %s: %v", path, err)
		}
		return s, nil
	}
	s := &keySet{byKID: map[string]crypto.PublicKey{}}
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		var pk any
		switch blk.Type {
		case "PUBLIC KEY":
			pk, err = x509.ParsePKIXPublicKey(blk.Bytes)
		case "RSA PUBLIC KEY":
			pk, err = x509.ParsePKCS1PublicKey(blk.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(blk.Bytes); err == nil {
				pk = c.PublicKey
			}
		default:
			err = fmt.Errorf("a %q block (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE; never a private key)", blk.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("key_file: %s: %v", path, err)
		}
		s.add("", pk)
	}
	if len(s.all) == 0 {
		return nil, fmt.Errorf("key_file: %s: neither a JWKS document nor PEM public keys", path)
	}
	return s, nil
}

// Bounds of the JWKS fetcher.
const (
	jwksTimeout  = 5 * time.Second
	jwksMaxBytes = 1 << 20
)

// jwksRefetchEvery is the shortest time between two fetches of the JWKS
// URL: a flood of tokens naming made-up `kid`s costs the key server one
// request per period, not one per token.
const jwksRefetchEvery = 10 * time.Second

// jwksSource fetches a JWKS URL and keeps the last good set. It owns no
// goroutine: the first token fetches the set, and a token whose `kid` is
// not in it fetches again, at most once per jwksRefetchEvery. A failed
// fetch keeps the set it had (served stale while the key server is down).
type jwksSource struct {
	url     string
	client  *http.Client
	every   time.Duration
	keys    atomic.Pointer[keySet]
	mu      sync.Mutex // one fetch at a time; holds last
	last    time.Time  // start of the last fetch, zero before the first
	fetches atomic.Uint64
}

func newJWKSSource(url string) *jwksSource {
	return &jwksSource{url: url, client: &http.Client{Timeout: jwksTimeout}, every: jwksRefetchEvery}
}

// lookup returns the key for kid ("" → the whole set), fetching the set
// when it is missing or lacks kid and the rate limit allows.
func (j *jwksSource) lookup(kid string) (*keySet, crypto.PublicKey) {
	ks := j.keys.Load()
	if k := ks.find(kid); k != nil {
		return ks, k
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if cur := j.keys.Load(); cur != ks { // another request fetched meanwhile
		if k := cur.find(kid); k != nil {
			return cur, k
		}
	}
	if now := time.Now(); j.last.IsZero() || now.Sub(j.last) >= j.every {
		j.last = now
		if fresh, err := j.fetch(); err == nil {
			j.keys.Store(fresh)
		}
	}
	ks = j.keys.Load()
	return ks, ks.find(kid)
}

// find returns the key named kid, or with kid "" a marker that the set is
// usable (the caller verifies against all keys).
func (s *keySet) find(kid string) crypto.PublicKey {
	if s == nil {
		return nil
	}
	if kid == "" {
		if len(s.all) > 0 {
			return s.all[0]
		}
		return nil
	}
	return s.byKID[kid]
}

func (j *jwksSource) fetch() (*keySet, error) {
	j.fetches.Add(1)
	resp, err := j.client.Get(j.url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_url: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
	if err != nil {
		return nil, err
	}
	return parseJWKS(b)
}
