package loadgen

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// Report is the outcome of one run.
type Report struct {
	Calls     int            // requests answered (any status)
	Errors    int            // calls that failed in any way
	ByKind    map[string]int // errors by kind: http_503, tool_error, rpc_error, transport, ...
	ByTool    map[string]int // calls per tool
	Elapsed   time.Duration
	P50       time.Duration
	P95       time.Duration
	P99       time.Duration
	Max       time.Duration
	Rate      float64 // the open-loop target rate, 0 for closed loop
	Clients   int
	Behind    int // open-loop calls that started late because every client was busy
	latencies []time.Duration
}

// Throughput is completed calls per second over the run.
func (r *Report) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

func (r *Report) summarise() {
	slices.Sort(r.latencies)
	r.P50 = percentile(r.latencies, 0.50)
	r.P95 = percentile(r.latencies, 0.95)
	r.P99 = percentile(r.latencies, 0.99)
	if n := len(r.latencies); n > 0 {
		r.Max = r.latencies[n-1]
	}
}

// percentile of sorted d by the nearest-rank method.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(p*float64(len(d))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(d) {
		i = len(d) - 1
	}
	return d[i]
}

// Print writes the report as aligned text.
func (r *Report) Print(w io.Writer) {
	mode := "closed loop"
	if r.Rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f calls/s (latency from the scheduled start)", r.Rate)
	}
	fmt.Fprintf(w, "tool calls:  %d in %s with %d clients, %s\n", r.Calls, r.Elapsed.Round(time.Millisecond), r.Clients, mode)
	fmt.Fprintf(w, "throughput:  %.0f calls/s\n", r.Throughput())
	fmt.Fprintf(w, "latency:     p50 %s  p95 %s  p99 %s  max %s\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "errors:      %d%s\n", r.Errors, kinds(r.ByKind))
	if r.Behind > 0 {
		fmt.Fprintf(w, "late starts: %d (every client was busy at the scheduled time)\n", r.Behind)
	}
	fmt.Fprintf(w, "mix:        %s\n", kinds(r.ByTool))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := " ("
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, m[k])
	}
	return s + ")"
}
