package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/dev/loadgen"
)

// The protocol eras of `taskbridge bench --protocol`: each one measured in
// turn on the same users and server, then compared, since the ratio
// between eras is what matters on a machine whose speed varies.

// parseProtocols reads --protocol: one version, a comma-separated list,
// or "both" (legacy, then current).
func parseProtocols(flag string) ([]string, error) {
	if flag == "both" {
		return []string{loadgen.LegacyProtocol, loadgen.CurrentProtocol}, nil
	}
	var out []string
	for _, p := range strings.Split(flag, ",") {
		p = strings.TrimSpace(p)
		if p != loadgen.LegacyProtocol && p != loadgen.CurrentProtocol {
			return nil, fmt.Errorf("%w: --protocol %q: want %s, %s, a comma-separated list of them, or both",
				ErrUsage, p, loadgen.LegacyProtocol, loadgen.CurrentProtocol)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// protocolRun is the measured run of one protocol version.
type protocolRun struct {
	protocol string
	report   *loadgen.Report
	cpu      time.Duration // CPU of the measured process during the run; 0 if not measured
}

func (r protocolRun) cpuPerCall() time.Duration {
	if r.cpu <= 0 || r.report.Calls == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.report.Calls)
}

// measureProtocols runs the warm-up and the measured run for each of
// o.protocols, printing each report, and compares them at the end.
func measureProtocols(ctx context.Context, out io.Writer, o *benchOptions, opts loadgen.Options, inProcess bool) ([]protocolRun, error) {
	pid := -1 // not measured
	switch {
	case inProcess:
		pid = 0
	case o.pid > 0:
		pid = o.pid
	}
	var runs []protocolRun
	for _, protocol := range o.protocols {
		opts.Protocol = protocol
		if o.warmup > 0 {
			w := opts
			w.Duration = o.warmup
			if _, err := loadgen.Run(ctx, w); err != nil {
				return nil, err
			}
		}
		profile := o.cpuProfile
		if profile != "" && len(o.protocols) > 1 {
			profile += "." + protocol
		}
		stopProfile, err := startCPUProfile(profile)
		if err != nil {
			return nil, err
		}
		before := processCPU(pid)
		opts.Duration = o.duration
		rep, err := loadgen.Run(ctx, opts)
		after := processCPU(pid)
		stopProfile()
		if err != nil {
			return nil, err
		}
		run := protocolRun{protocol: protocol, report: rep}
		if before >= 0 && after >= 0 {
			run.cpu = after - before
		}
		fmt.Fprintf(out, "protocol:    %s\n", protocol)
		rep.Print(out)
		printCPU(out, run, pid)
		runs = append(runs, run)
	}
	if len(runs) > 1 {
		base := runs[0]
		for _, r := range runs[1:] {
			fmt.Fprintf(out, "eras:        %s at %.0f%% of %s's throughput", r.protocol,
				100*r.report.Throughput()/max(base.report.Throughput(), 1e-9), base.protocol)
			if b, c := base.cpuPerCall(), r.cpuPerCall(); b > 0 && c > 0 {
				fmt.Fprintf(out, ", %.0f%% of its CPU per call", 100*float64(c)/float64(b))
			}
			fmt.Fprintln(out)
		}
	}
	return runs, nil
}

// processCPU is loadgen.ProcessCPU, or -1 when pid is -1 (not measured)
// or the figure cannot be read.
func processCPU(pid int) time.Duration {
	if pid < 0 {
		return -1
	}
	d, err := loadgen.ProcessCPU(pid)
	if err != nil {
		return -1
	}
	return d
}

func printCPU(out io.Writer, r protocolRun, pid int) {
	per := r.cpuPerCall()
	switch {
	case per == 0:
		fmt.Fprintln(out, "cpu:         not measured (pass --pid with --url)")
	case pid == 0:
		fmt.Fprintf(out, "cpu:         %d us per call (this process: server and load generator together, so an upper bound for the server)\n", per.Microseconds())
	default:
		fmt.Fprintf(out, "cpu:         %d us per call (server process %d)\n", per.Microseconds(), pid)
	}
}
