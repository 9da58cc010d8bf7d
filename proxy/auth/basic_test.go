package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"
)

func TestHtpasswdRefusesOtherHashes(t *testing.T) {
	dir := t.TempDir()
	good, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for name, line := range map[string]string{
		"md5":   "u:$apr1$salt$hash",
		"sha1":  "u:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
		"crypt": "u:rl0Kx7C9xDiBw",
		"plain": "u:password",
		"dup":   "u:" + string(good) + "\nu:" + string(good),
		"colon": "u" + string(good),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(&Config{Basic: &BasicConfig{Realm: "r", UsersFile: p}}); err == nil || !strings.HasPrefix(err.Error(), "users_file: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestBasicCachesBounded: the verified-credentials cache and the failure
// throttle never hold more than their caps.
func TestBasicCachesBounded(t *testing.T) {
	var c credCache
	c.init(8, credTTL)
	for i := range 100 {
		c.put([32]byte{byte(i)}, "u", 0)
		if c.t.len() > 8 {
			t.Fatalf("cache holds %d entries", c.t.len())
		}
	}
	if _, ok := c.get([32]byte{99}, int64(credTTL)); ok {
		t.Fatal("an entry outlived its TTL")
	}
	var f failThrottle
	f.init(8, 2, failWindow)
	for i := range 100 {
		f.fail([]byte{byte(i)}, 0)
		if len(f.m) > 8 {
			t.Fatalf("throttle holds %d clients", len(f.m))
		}
	}
	f.fail([]byte("x"), 0)
	f.fail([]byte("x"), 1)
	if f.blocked([]byte("x"), 2) == 0 || f.blocked([]byte("x"), int64(failWindow)) != 0 {
		t.Fatal("throttle window")
	}
}

// TestBasicUnknownUserRunsBcrypt: an unknown user costs a bcrypt
// comparison too, so timing does not tell which users exist.
func TestBasicUnknownUserRunsBcrypt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h")
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err := os.WriteFile(p, []byte("alice:"+string(h)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(&Config{Basic: &BasicConfig{Realm: "r", UsersFile: p}})
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("mallory:pw")))
	st := &State{Client: []byte("10.0.0.1")}
	if r := a.Basic.Authenticate(&ctx, st); r != Refused || a.Basic.Verifications() != 1 {
		t.Fatalf("unknown user: %d, %d bcrypt runs", r, a.Basic.Verifications())
	}
}
