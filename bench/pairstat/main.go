// Command pairstat compares the CPU cost per request of two gateway
// processes measured at the same time: both are loaded at once by the
// project's traffic generator (internal/loadgen, the same number of
// keep-alive connections each, as fast as answered or paced at the same
// rate with -rate), and every window (1 s by default) it
// reads each process's CPU time (the sum of its threads' run time from
// /proc/PID/task/*/schedstat, in nanoseconds) and counts its answers.
// Whatever slows the machine down in a window (another job, the host's
// neighbours, frequency changes) slows both sides of that window alike,
// so the ratio B ÷ A of a window is steady where two runs taken in turn
// swing by ±30% on a shared 2-core VM. Used by bench/pair.sh.
//
//	pairstat -a 127.0.0.1:18510 -apid 123 -b 127.0.0.1:18511 -bpid 124 -path /small -d 60s
//
// Loaded as fast as they answer, the two share the CPU and the costlier
// one serves fewer requests; paced (-rate), both serve the same requests
// and only their CPU differs: a cost compared at the same load.
//
// Output: a line per window, then the summary: CPU µs per request of each
// side (totals), the ratio of the totals, the median of the windows'
// ratios with its 95% confidence interval (order statistics), and the
// windows' spread. Linux only (schedstat).
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/premier-gateway/premier/internal/loadgen"
)

// side is one gateway under load.
type side struct {
	name string
	pid  int
	run  *loadgen.Run

	cpu0, ok0 int64 // at the window's start
	cpuT, okT int64 // totals over the measured windows
}

func main() {
	addrA := flag.String("a", "", "gateway A's `host:port`")
	pidA := flag.Int("apid", 0, "gateway A's process id")
	addrB := flag.String("b", "", "gateway B's `host:port`")
	pidB := flag.Int("bpid", 0, "gateway B's process id")
	nameA := flag.String("aname", "A", "A's name in the output")
	nameB := flag.String("bname", "B", "B's name in the output")
	path := flag.String("path", "/small", "request target")
	conns := flag.Int("c", 16, "keep-alive connections to each gateway")
	rate := flag.Float64("rate", 0, "requests a second to each gateway, paced (0: as fast as answered)")
	warm := flag.Duration("warm", 3*time.Second, "load before measuring")
	d := flag.Duration("d", 60*time.Second, "how long to measure")
	win := flag.Duration("window", time.Second, "window length")
	flag.Parse()
	if *addrA == "" || *addrB == "" || *pidA == 0 || *pidB == 0 {
		flag.Usage()
		os.Exit(2)
	}
	a := &side{name: *nameA, pid: *pidA}
	b := &side{name: *nameB, pid: *pidB}
	a.run = loadgen.Start(loadgen.Options{Addr: *addrA, Path: *path, KeepAlive: *conns, Rate: *rate})
	b.run = loadgen.Start(loadgen.Options{Addr: *addrB, Path: *path, KeepAlive: *conns, Rate: *rate})
	time.Sleep(*warm)
	for _, s := range []*side{a, b} {
		s.cpu0, s.ok0 = cpuNanos(s.pid), s.run.Stats().OK
	}
	var ratios []float64
	fmt.Printf("%-6s %10s %10s %10s %10s %8s\n", "window", a.name+" req", b.name+" req", a.name+" µs/req", b.name+" µs/req", "B÷A")
	for i := 1; time.Duration(i)*(*win) <= *d; i++ {
		time.Sleep(*win)
		ra, ca := a.step()
		rb, cb := b.step()
		if ra == 0 || rb == 0 {
			fmt.Printf("%-6d %10d %10d  (a side answered nothing: window left out)\n", i, ra, rb)
			continue
		}
		ua, ub := float64(ca)/float64(ra)/1e3, float64(cb)/float64(rb)/1e3
		ratios = append(ratios, ub/ua)
		fmt.Printf("%-6d %10d %10d %10.2f %10.2f %8.3f\n", i, ra, rb, ua, ub, ub/ua)
	}
	sa, sb := a.run.Stop(), b.run.Stop()
	if len(ratios) == 0 {
		fmt.Fprintln(os.Stderr, "pairstat: no window measured")
		os.Exit(1)
	}
	ta := float64(a.cpuT) / float64(a.okT) / 1e3
	tb := float64(b.cpuT) / float64(b.okT) / 1e3
	sort.Float64s(ratios)
	med, lo, hi := medianCI(ratios)
	q1, q3 := quantile(ratios, 0.25), quantile(ratios, 0.75)
	fmt.Printf("PAIRSTAT %s=%.2fus/req %s=%.2fus/req totals=%.3f median=%.3f ci95=%.3f-%.3f iqr=%.3f-%.3f windows=%d reqs=%d/%d failed=%d/%d\n",
		a.name, ta, b.name, tb, tb/ta, med, lo, hi, q1, q3, len(ratios), a.okT, b.okT,
		sa.Failed+sa.ConnErrors, sb.Failed+sb.ConnErrors)
	if sa.Failed+sa.ConnErrors+sb.Failed+sb.ConnErrors > 0 {
		for _, e := range append(a.run.Errors(), b.run.Errors()...) {
			fmt.Fprintln(os.Stderr, "pairstat:", e)
		}
		os.Exit(1)
	}
}

// step ends the side's window: the answers and CPU nanoseconds in it.
func (s *side) step() (reqs, cpu int64) {
	c, ok := cpuNanos(s.pid), s.run.Stats().OK
	reqs, cpu = ok-s.ok0, c-s.cpu0
	s.cpu0, s.ok0 = c, ok
	s.cpuT += cpu
	s.okT += reqs
	return reqs, cpu
}

// cpuNanos is the run time of every thread of process pid
// (/proc/PID/task/*/schedstat, first field, nanoseconds). A thread that
// ended takes its time with it; the Go runtime keeps its threads.
func cpuNanos(pid int) int64 {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(os.Stderr, "pairstat: process %d: no schedstat (gone?)\n", pid)
		os.Exit(1)
	}
	var sum int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just ended
		}
		if v, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64); err == nil {
			sum += v
		}
	}
	return sum
}

// medianCI is the median of s (sorted) and a 95% confidence interval for
// it from order statistics (the binomial ranks n/2 ∓ 1.96·√n/2).
func medianCI(s []float64) (med, lo, hi float64) {
	n := len(s)
	half := 1.96 * math.Sqrt(float64(n)) / 2
	l := int(math.Floor(float64(n)/2 - half))
	h := int(math.Ceil(float64(n)/2+half)) - 1
	l = max(l, 0)
	h = min(h, n-1)
	return quantile(s, 0.5), s[l], s[h]
}

// quantile is the q-quantile of s (sorted) by linear interpolation.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}
