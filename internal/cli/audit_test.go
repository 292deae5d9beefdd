package cli_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

func TestAuditSealAndVerifyCommands(t *testing.T) {
	a := newAuditCLI(t)
	db, run, ctx := a.db, a.run, context.Background()
	a.appendEvents(t, 4)

	// One run may seal nothing: the sealer never seals past a transaction
	// open anywhere in the cluster, which other test packages share. Run
	// it until the four events are in; what the runs report adds up to
	// the chain head.
	sealedOut := regexp.MustCompile(`^sealed (\d+) events; chain head at seq (\d+)`)
	for total := 0; ; {
		out, err := run("audit", "seal")
		m := sealedOut.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("seal: %v %s", err, out)
		}
		n, _ := strconv.Atoi(m[1])
		head, _ := strconv.Atoi(m[2])
		if total += n; total != head {
			t.Fatalf("the seal runs reported %d events in all, but the chain head is at seq %d: %s", total, head, out)
		}
		if head >= 4 {
			break
		}
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
	if strings.Contains(out, "different key") {
		t.Errorf("an edit is blamed on a different key:\n%s", out)
	}

	noKey := envFrom(map[string]string{"TASKBRIDGE_ENV": "dev", "DATABASE_URL": db.AppURL})
	var sink capture.Buffer
	if err := cli.Run(ctx, cli.Env{Args: []string{"audit", "verify"}, Getenv: noKey, Stdout: &sink, Stderr: &sink}); err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_AUDIT_KEY") {
		t.Fatalf("verify without a key: %v", err)
	}
}

// A chain sealed with one key and verified with another (a dev server that
// ran with an ephemeral key, then a real key set) fails on every link; the
// output says a different key is the likely cause and what to do, while a
// real edit (TestAuditSealAndVerifyCommands) gets no such note.
func TestAuditVerifyWithAnotherKeySaysSoAndWhatToDo(t *testing.T) {
	db := tdb.NewMigrated(t)
	ctx := context.Background()
	pool, err := postgres.Open(ctx, db.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	run := func(key string, args ...string) (string, error) {
		var out capture.Buffer
		env := envFrom(map[string]string{"TASKBRIDGE_ENV": "dev", "DATABASE_URL": db.AppURL, "TASKBRIDGE_AUDIT_KEY": key})
		err := cli.Run(ctx, cli.Env{Args: args, Getenv: env, Stdout: &out, Stderr: &out})
		return out.String(), err
	}
	sealedWith, verifiedWith := randomAuditKey(t), randomAuditKey(t)
	keys, err := audit.ParseKeys(sealedWith)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := pool.InSystemTx(ctx, func(tx postgres.Querier) error {
			return postgres.NewAuditLog(keys).Append(ctx, tx, audit.Event{Type: "test.event", Outcome: audit.OutcomeSuccess})
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Sealing stops short of any transaction still open on the server
	// (other test packages share it): seal until the three are in.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := run(sealedWith, "audit", "seal")
		if err != nil {
			t.Fatalf("seal: %v %s", err, out)
		}
		if !strings.Contains(out, "chain head at seq 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing sealed: %s", out)
		}
	}
	out, err := run(verifiedWith, "audit", "verify")
	if err == nil || !strings.Contains(err.Error(), "with this TASKBRIDGE_AUDIT_KEY") {
		t.Fatalf("verify with another key: %v\n%s", err, out)
	}
	for _, want := range []string{"most likely", "sealed with a different key", "Run verify with the key the", ".taskbridge-dev/env"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if out, err := run(sealedWith, "audit", "verify"); err != nil || strings.Contains(out, "NOTE") {
		t.Errorf("with the sealing key: %v\n%s", err, out)
	}
}

func randomAuditKey(t *testing.T) string {
	t.Helper()
	spec, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	return spec
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
