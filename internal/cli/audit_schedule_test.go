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
	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// The attack of issue 13 item 4 end to end: as the runtime role, a seal
// written without the key on top of the chain. `audit seal` refuses to
// build on it (it used to print "sealed 0 events" forever), and serve's
// scheduled verify puts it on the metrics listener at startup.
func TestForgedSealIsRefusedAndShownByServesScheduledVerify(t *testing.T) {
	a := newAuditCLI(t)
	ctx := context.Background()
	a.appendEvents(t, 1)
	a.sealUntil(t, 1)
	a.appendEvents(t, 1)
	_, err := a.pool.Pool.Exec(ctx, `INSERT INTO audit_seals (seq, event_id, key_id, hash)
		SELECT s.seq + 1, (SELECT min(id) FROM audit_events WHERE id > s.event_id), 'a1', $1
		FROM audit_seals s ORDER BY s.seq DESC LIMIT 1`, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := a.run("audit", "seal"); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("audit seal on a forged head: %v\n%s", err, out)
	}

	vars := a.vars
	vars["TASKBRIDGE_ADDR"], vars["TASKBRIDGE_METRICS_ADDR"] = "127.0.0.1:0", "127.0.0.1:0"
	_, metricsURL, serveLog := startServeWithMetrics(t, vars)
	problems := regexp.MustCompile(`(?m)^taskbridge_audit_verify_problems ([0-9.e+]+)$`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(metricsURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if p := problems.FindStringSubmatch(string(body)); p != nil && p[1] != "0" {
			if !strings.Contains(string(body), "taskbridge_audit_verified_timestamp_seconds 0") {
				t.Fatalf("a sweep with problems counted as verified:\n%s", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled verify never reported the forged seal:\n%s\nlog:\n%s", body, serveLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// auditCLI is a migrated database with an audit key, the CLI's environment
// for it, and the server role's pool to append events through.
type auditCLI struct {
	db   *testdb.Database
	vars map[string]string
	pool *postgres.DB
	keys *audit.Keys
}

func newAuditCLI(t *testing.T) *auditCLI {
	t.Helper()
	db := tdb.NewMigrated(t)
	spec, err := keyring.Generate("a1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := postgres.Open(context.Background(), db.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	keys, err := audit.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"TASKBRIDGE_ENV": "dev", "DATABASE_URL": db.AppURL, "TASKBRIDGE_AUDIT_KEY": spec}
	return &auditCLI{db: db, vars: vars, pool: pool, keys: keys}
}

// run runs the taskbridge command with args and returns what it printed.
func (a *auditCLI) run(args ...string) (string, error) {
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: args, Getenv: envFrom(a.vars), Stdout: &out, Stderr: &out})
	return out.String(), err
}

// sealUntil runs `audit seal` until the chain head is at seq head or
// beyond: one run may seal nothing, since the sealer never seals past a
// transaction open anywhere in the cluster, which other test packages
// share.
func (a *auditCLI) sealUntil(t *testing.T, head int) {
	t.Helper()
	sealed := regexp.MustCompile(`chain head at seq (\d+)`)
	for {
		out, err := a.run("audit", "seal")
		m := sealed.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("seal: %v %s", err, out)
		}
		if n, _ := strconv.Atoi(m[1]); n >= head {
			return
		}
	}
}

func (a *auditCLI) appendEvents(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		err := a.pool.InSystemTx(ctx, func(tx postgres.Querier) error {
			return postgres.NewAuditLog(a.keys).Append(ctx, tx, audit.Event{Type: "test.event", Outcome: audit.OutcomeSuccess})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// startServeWithMetrics runs `taskbridge serve` with vars (which set
// TASKBRIDGE_ADDR and TASKBRIDGE_METRICS_ADDR) until the test ends, and
// returns its address, its metrics URL and its log.
func startServeWithMetrics(t *testing.T, vars map[string]string) (addr, metricsURL string, log *capture.Buffer) {
	t.Helper()
	var stdout capture.Buffer
	log = &capture.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"serve"}, Getenv: envFrom(vars), Stdout: &stdout, Stderr: log})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	addr = waitForAddr(t, &stdout, done)
	m := regexp.MustCompile(`metrics: (http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no metrics address printed: %s", stdout.String())
	}
	return addr, m[1], log
}
