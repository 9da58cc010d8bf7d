package promcheck

import (
	"strings"
	"testing"
)

func TestFamilies(t *testing.T) {
	good := `# HELP a_total A counter.
# TYPE a_total counter
a_total{k="v"} 1
a_total{k="w"} 2
# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.3
h_count 2
# HELP s A summary.
# TYPE s summary
s{quantile="0.5"} 1
s_sum 3
s_count 2
`
	mfs, err := Families([]byte(good))
	if err != nil || len(mfs) != 3 {
		t.Fatalf("good exposition: %v, %d families", err, len(mfs))
	}
	for name, text := range map[string]string{
		"interleaved": `# HELP a_total A.
# TYPE a_total counter
# HELP b_total B.
# TYPE b_total counter
a_total{k="v"} 1
b_total{k="v"} 1
a_total{k="w"} 1
b_total{k="w"} 1
`,
		"help after samples": "# TYPE a_total counter\na_total 1\n# HELP a_total A.\n",
		"no help":            "# TYPE a_total counter\na_total 1\n",
		"empty help":         "# HELP a_total\n# TYPE a_total counter\na_total 1\n",
		"bad value":          "# HELP a_total A.\n# TYPE a_total counter\na_total one\n",
		"bad label":          "# HELP a_total A.\n# TYPE a_total counter\na_total{k=v} 1\n",
	} {
		if _, err := Families([]byte(text)); err == nil {
			t.Errorf("%s: accepted:\n%s", name, strings.TrimSpace(text))
		}
	}
}
