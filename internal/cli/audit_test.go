package cli_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

func TestAuditSealAndVerifyCommands(t *testing.T) {
	a := newAuditCLI(t)
	db, run, ctx := a.db, a.run, context.Background()
	a.appendEvents(t, 4)

	if out, err := run("audit", "seal"); err != nil || !strings.Contains(out, "sealed 4 events") {
		t.Fatalf("seal: %v %s", err, out)
	}
	out, err := run("audit", "verify")
	if err != nil || !strings.Contains(out, "audit trail OK") {
		t.Fatalf("verify: %v %s", err, out)
	}
	anchor := regexp.MustCompile(`anchor \(.*\): (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
	if anchor == nil {
		t.Fatalf("no anchor printed: %s", out)
	}
	// verify audits itself (admin command); seal it, then check with the anchor.
	if _, err := run("audit", "seal"); err != nil {
		t.Fatal(err)
	}
	if out, err := run("audit", "verify", "--anchor", anchor[1]); err != nil {
		t.Fatalf("verify with anchor: %v %s", err, out)
	}

	if !db.AdminIsSuperuser {
		return
	}
	admin := db.Admin(t)
	for _, sql := range []string{
		`ALTER TABLE audit_events DISABLE TRIGGER USER`,
		`UPDATE audit_events SET outcome = 'denied' WHERE id = 2`,
		`ALTER TABLE audit_events ENABLE TRIGGER USER`,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	out, err = run("audit", "verify")
	if err == nil || !strings.Contains(out, "edited at seq 2") {
		t.Fatalf("verify after an edit must fail and name the link: %v\n%s", err, out)
	}

	noKey := envFrom(map[string]string{"TASKBRIDGE_ENV": "dev", "DATABASE_URL": db.AppURL})
	var sink syncBuffer
	if err := cli.Run(ctx, cli.Env{Args: []string{"audit", "verify"}, Getenv: noKey, Stdout: &sink, Stderr: &sink}); err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_AUDIT_KEY") {
		t.Fatalf("verify without a key: %v", err)
	}
}

func TestServeExposesMetricsOnlyOnTheMetricsListener(t *testing.T) {
	db := tdb.NewMigrated(t)
	env := map[string]string{
		"TASKBRIDGE_ENV":          "dev",
		"TASKBRIDGE_ADDR":         "127.0.0.1:0",
		"TASKBRIDGE_METRICS_ADDR": "127.0.0.1:0",
		"DATABASE_URL":            db.AppURL,
	}
	addr, metricsURL, _ := startServeWithMetrics(t, env)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("http://" + addr + "/healthz"); code != http.StatusOK {
		t.Fatalf("healthz %d", code)
	}
	code, body := get(metricsURL)
	if code != http.StatusOK || !strings.Contains(body, `taskbridge_http_requests_total{code="2xx",method="GET",route="/healthz"}`) {
		t.Fatalf("metrics listener: %d\n%s", code, body)
	}
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("the public listener serves /metrics: %d", code)
	}
}
