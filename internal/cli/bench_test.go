package cli_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
)

// TestBenchRunsEndToEndAndCleansUp: a short in-process bench creates users
// and tokens through the OAuth store, measures the legacy and the current
// protocol (--protocol both) with no errors in either, prints every figure
// and the comparison of the two eras, and removes its users.
func TestBenchRunsEndToEndAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and drives load for a few seconds")
	}
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL}
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"bench", "--users", "2", "--clients", "2", "--duration", "1s",
		"--warmup", "0", "--seed-tasks", "3", "--max-calls", "300", "--protocol", "both"}, Getenv: envFrom(env), Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	for _, want := range []string{"throughput:", "latency:     p50", "protocol:    2025-06-18\n", "protocol:    2026-07-28\n",
		"cpu:         ", "eras:        2026-07-28 at ", "peak RSS:", "raw DB:", "ratio:", "raw+audit:", "removed 4 bench users"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "errors:      0\n"); n != 2 {
		t.Errorf("%d of the 2 runs without errors:\n%s", n, out.String())
	}
	if n := len(regexp.MustCompile(`tool calls:  [1-9]\d* in`).FindAllString(out.String(), -1)); n != 2 {
		t.Errorf("calls counted in %d of the 2 runs:\n%s", n, out.String())
	}
	// The audited ceiling run wrote real audit rows, marked as its own.
	var rawRows int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE event_type = 'bench.raw_ceiling'`).Scan(&rawRows); err != nil || rawRows == 0 {
		t.Errorf("audited raw ceiling left %d audit rows (%v), want some", rawRows, err)
	}
	var left int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email LIKE '%@bench.invalid'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("bench users left behind: %d %v", left, err)
	}
}

// TestBenchRefusesProdAndRemoteTargets: it never writes into a production
// database and never loads a non-loopback address without --allow-remote.
func TestBenchRefusesProdAndRemoteTargets(t *testing.T) {
	var out capture.Buffer
	prod := map[string]string{"TASKBRIDGE_ENV": "prod", "DATABASE_URL": tdb.AppURL}
	err := cli.Run(context.Background(), cli.Env{Args: []string{"bench"}, Getenv: envFrom(prod), Stdout: &out, Stderr: &out})
	if err == nil || !strings.Contains(err.Error(), "prod") {
		t.Errorf("bench in prod mode: %v", err)
	}
	dev := map[string]string{"TASKBRIDGE_ENV": "dev", "DATABASE_URL": tdb.AppURL}
	for _, target := range []string{"http://10.0.0.1/mcp", "https://example.com/mcp", "http://192.168.1.5:8080/mcp"} {
		err := cli.Run(context.Background(), cli.Env{Args: []string{"bench", "--url", target}, Getenv: envFrom(dev), Stdout: &out, Stderr: &out})
		if !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("bench --url %s: %v, want a loopback refusal", target, err)
		}
	}
	for _, bad := range [][]string{{"--clients", "0"}, {"--duration", "11m"}, {"--rate", "-1"}, {"--users", "5000"}, {"extra"}, {"--protocol", "2024-01-01"}, {"--protocol", "2025-06-18,"}} {
		err := cli.Run(context.Background(), cli.Env{Args: append([]string{"bench"}, bad...), Getenv: envFrom(dev), Stdout: &out, Stderr: &out})
		if !errors.Is(err, cli.ErrUsage) {
			t.Errorf("bench %v: %v, want a usage error", bad, err)
		}
	}
}
