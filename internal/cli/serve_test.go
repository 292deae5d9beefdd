package cli_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
)

func envFrom(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeMigratesAnEmptyDatabaseAndServesHealth(t *testing.T) {
	empty := tdb.NewEmpty(t)
	env := map[string]string{
		"TASKBRIDGE_ENV":                  "dev",
		"TASKBRIDGE_ADDR":                 "127.0.0.1:0",
		"TASKBRIDGE_METRICS_ADDR":         "off",
		"DATABASE_URL":                    empty.AppURL,
		"TASKBRIDGE_MIGRATE_DATABASE_URL": empty.AdminURL,
	}
	var stdout, stderr capture.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"serve", "--migrate"}, Getenv: envFrom(env), Stdout: &stdout, Stderr: &stderr})
	}()

	addr := waitForAddr(t, &stdout, done)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: missing request id or CSP header", path)
		}
	}

	// The schema is there: migrate version reports the latest migration.
	var out capture.Buffer
	if err := cli.Run(context.Background(), cli.Env{Args: []string{"migrate", "version"}, Getenv: envFrom(env), Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`schema version (\d+) \(binary has migrations up to (\d+)\)`).MatchString(out.String()) {
		t.Fatalf("migrate version printed %q", out.String())
	}

	cancel() // what SIGTERM does in main
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	if strings.Contains(stderr.String(), empty.AppURL) {
		t.Error("the database URL was logged")
	}
}

func TestServeFailsClearlyWithoutADatabase(t *testing.T) {
	env := map[string]string{
		"TASKBRIDGE_ENV":          "dev",
		"TASKBRIDGE_ADDR":         "127.0.0.1:0",
		"TASKBRIDGE_METRICS_ADDR": "off",
		"DATABASE_URL":            "postgres://nobody-here@127.0.0.1:1/none?sslmode=disable&connect_timeout=1",
	}
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"serve"}, Getenv: envFrom(env), Stdout: &out, Stderr: &out})
	if err == nil || !strings.Contains(err.Error(), "database") {
		t.Fatalf("serve without a reachable database: %v", err)
	}
}

func TestMigrateNeedsTheOwnerURL(t *testing.T) {
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"migrate", "up"}, Getenv: envFrom(map[string]string{"TASKBRIDGE_ENV": "dev"}), Stdout: &out, Stderr: &out})
	if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_MIGRATE_DATABASE_URL") {
		t.Fatalf("migrate without an owner URL: %v", err)
	}
}

func TestMigrateDownAndUp(t *testing.T) {
	db := tdb.NewMigrated(t)
	env := envFrom(map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL})
	run := func(args ...string) string {
		t.Helper()
		var out capture.Buffer
		if err := cli.Run(context.Background(), cli.Env{Args: args, Getenv: env, Stdout: &out, Stderr: &out}); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	before := run("migrate", "version")
	run("migrate", "down", "1")
	if after := run("migrate", "version"); after == before {
		t.Fatalf("down 1 did not change the version: %q", after)
	}
	if again := run("migrate", "up"); !strings.HasSuffix(again, before) { // after the progress summary
		t.Fatalf("up did not restore the version: %q vs %q", again, before)
	}
	var out capture.Buffer
	for _, bad := range [][]string{{"migrate", "down"}, {"migrate", "down", "0"}, {"migrate", "down", "x"}, {"migrate", "sideways"}} {
		if err := cli.Run(context.Background(), cli.Env{Args: bad, Getenv: env, Stdout: &out, Stderr: &out}); !errors.Is(err, cli.ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", bad, err)
		}
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"frobnicate"}, Getenv: envFrom(nil), Stdout: &out, Stderr: &out})
	if !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "serve") {
		t.Fatalf("got %v", err)
	}
}

func waitForAddr(t *testing.T, stdout *capture.Buffer, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not report its address: %s", stdout.String())
	return ""
}
