package metrics

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/promcheck"
	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/resilience"
)

// TestMetricsDocListsEveryFamily keeps docs/metrics.md true: its series
// table lists exactly the families /metrics writes (every optional one
// given something to report here), each with its type, and the runtime
// families as the go_* and process_* rows.
func TestMetricsDocListsEveryFamily(t *testing.T) {
	var m Collector
	o := obs("/api/*", 200, time.Millisecond, 800*time.Microsecond, t0)
	o.Consumer, o.Auth = "alice", AuthAdmitted
	m.Observe(o)
	m.WebSocketOpened("/ws")
	st := &State{
		Breakers: []Breaker{{Route: "/api/*", Backend: "http://a", State: resilience.Open}},
		Backends: []lb.BackendStats{{URL: "http://a", Requests: 1}},
		Version:  "1.2.3",
		TLS: &TLS{Handshakes: []TLSHandshakes{{Version: "1.3", ALPN: "h2", Count: 1}},
			Failures: []TLSFailures{{Reason: "timeout", Count: 1}},
			Expiry:   []CertExpiry{{Name: "example.com", Seconds: 86400}}},
		GatewayAnswers: []Answers{{Reason: "bad_request", Count: 1}},
		Splits:         []SplitGroup{{Route: "/api/*", Group: "0", Requests: 1}},
	}
	var buf bytes.Buffer
	m.WritePrometheus(&buf, st)
	if _, err := promcheck.Families(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	exposed := map[string]string{} // name → type
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			exposed[f[2]] = f[3]
		}
	}

	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9_*]+)` \\| ([a-z]+) \\|")
	documented := map[string]string{}
	for _, r := range row.FindAllStringSubmatch(string(doc), -1) {
		if _, dup := documented[r[1]]; dup {
			t.Errorf("docs/metrics.md lists %s twice", r[1])
		}
		documented[r[1]] = r[2]
	}
	for name, typ := range exposed {
		if wild := runtimeRow(name); wild != "" {
			if _, ok := documented[wild]; !ok {
				t.Errorf("%s is exposed but docs/metrics.md has no %s row", name, wild)
			}
			continue
		}
		switch doc, ok := documented[name]; {
		case !ok:
			t.Errorf("%s (%s) is exposed but not in docs/metrics.md", name, typ)
		case doc != typ:
			t.Errorf("%s: docs/metrics.md says %s, /metrics says %s", name, doc, typ)
		}
	}
	for name := range documented {
		if _, ok := exposed[name]; !ok && !strings.HasSuffix(name, "*") {
			t.Errorf("docs/metrics.md lists %s, which /metrics does not expose", name)
		}
	}
}

// runtimeRow is the wildcard row documenting a runtime family, or "".
func runtimeRow(name string) string {
	for _, p := range []string{"go_", "process_"} {
		if strings.HasPrefix(name, p) {
			return p + "*"
		}
	}
	return ""
}
