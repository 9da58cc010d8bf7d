package promcheck

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families parses text and returns its metric families by name. It fails
// on a parse error, a family without HELP, or a family whose lines are not
// contiguous (HELP, TYPE, then all its samples).
func Families(text []byte) (map[string]*dto.MetricFamily, error) {
	if err := contiguous(text); err != nil {
		return nil, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, name := range sortedNames(mfs) {
		if mfs[name].Help == nil {
			errs = append(errs, fmt.Errorf("family %s has no HELP", name))
		}
	}
	return mfs, errors.Join(errs...)
}

func sortedNames(mfs map[string]*dto.MetricFamily) []string {
	names := make([]string, 0, len(mfs))
	for n := range mfs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// contiguous checks that once a family's lines end, no line of it comes
// again, and that no HELP or TYPE line follows the family's samples.
func contiguous(text []byte) error {
	types := map[string]string{} // family → declared TYPE
	done := map[string]bool{}    // families whose lines have ended
	sampled := map[string]bool{} // families with a sample so far
	cur := ""
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" {
			continue
		}
		var family string
		comment := strings.HasPrefix(line, "#")
		if comment {
			f := strings.Fields(line)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a plain comment belongs to no family
			}
			family = f[2]
			if f[1] == "TYPE" && len(f) > 3 {
				types[family] = f[3]
			}
		} else {
			family = familyOf(sampleName(line), types)
		}
		if family != cur {
			if done[family] {
				return fmt.Errorf("line %d: family %s continues after other families' lines: %q", i+1, family, line)
			}
			if cur != "" {
				done[cur] = true
			}
			cur = family
		}
		if comment && sampled[family] {
			return fmt.Errorf("line %d: HELP or TYPE after the samples of %s: %q", i+1, family, line)
		}
		if !comment {
			sampled[family] = true
		}
	}
	return nil
}

// sampleName is a sample line's metric name.
func sampleName(line string) string {
	if i := strings.IndexAny(line, "{ \t"); i >= 0 {
		return line[:i]
	}
	return line
}

// familyOf maps a sample's name to its family: a histogram's or summary's
// _bucket, _sum and _count samples belong to the declared base name.
func familyOf(name string, types map[string]string) string {
	if _, ok := types[name]; ok {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		switch types[base] {
		case "histogram", "gaugehistogram":
			return base
		case "summary":
			if suffix != "_bucket" {
				return base
			}
		}
	}
	return name
}
