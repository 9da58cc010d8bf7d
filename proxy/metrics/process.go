package metrics

import (
	"bufio"
	"bytes"
	"strings"

	vm "github.com/VictoriaMetrics/metrics"
)

// writeProcess writes the Go runtime and process families
// (go_*, process_*) that VictoriaMetrics/metrics reads. Without its
// metadata switch it writes bare samples; with it, each family gets its
// TYPE but an empty HELP, which the text format reads as no docstring. So
// the families are written through a buffer and each HELP line gets one.
// This runs per scrape, never on the request path.
func writeProcess(w *bufio.Writer) {
	vm.ExposeMetadata(true) // the gateway is the only writer in the process
	var buf bytes.Buffer
	vm.WriteProcessMetrics(&buf)
	for line := range bytes.Lines(buf.Bytes()) {
		name, ok := bytes.CutPrefix(line, []byte("# HELP "))
		if !ok {
			w.Write(line)
			continue
		}
		name = bytes.TrimSuffix(name, []byte("\n"))
		if bytes.IndexByte(name, ' ') >= 0 { // already has a docstring
			w.Write(line)
			continue
		}
		w.WriteString("# HELP ")
		w.Write(name)
		w.WriteByte(' ')
		w.WriteString(processHelp(string(name)))
		w.WriteByte('\n')
	}
}

// processHelp is the docstring of a runtime or process family.
func processHelp(name string) string {
	switch {
	case strings.HasPrefix(name, "go_"):
		return "Go runtime statistic of the gateway process."
	case strings.HasPrefix(name, "process_"):
		return "Operating-system statistic of the gateway process."
	}
	return "Statistic of the gateway process."
}
