package e2e_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// TestBackupRestoreDrill runs the restore drill of deploy/README.md
// ("Backups and the restore drill", O4) on a database a real journey
// filled: pg_dump --format=custom as the superuser, pg_restore
// --exit-on-error into a scratch database, then the checks a drill makes:
// the same rows and schema version, task notes readable by the server
// role with the same encryption keys, and the audit chain verifying under
// the same audit key.
func TestBackupRestoreDrill(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("the drill dumps as the superuser (forced row-level security); TEST_DATABASE_URL's role is not one")
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump is not installed")
	}
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Skip("pg_restore is not installed")
	}
	ctx := context.Background()
	srv := startServer(t)
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: true})
	const notes = "the backup must keep these notes readable"
	if res := callTool(t, app.Session, "create_task", map[string]any{"title": "Restore drill", "notes": notes}); res.IsError {
		t.Fatalf("create_task: %s", toolText(res))
	}
	if out := runAudit(t, auditKey, "seal"); out.err != nil {
		t.Fatalf("audit seal: %v\n%s", out.err, out.out)
	}

	dump := filepath.Join(t.TempDir(), "taskbridge.dump")
	if out, err := exec.CommandContext(ctx, pgDump, "--format=custom", "--file", dump, "--dbname", tdb.AdminURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	drill := tdb.NewEmpty(t)
	if out, err := exec.CommandContext(ctx, pgRestore, "--exit-on-error", "--dbname", drill.AdminURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	const counts = `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM tasks), (SELECT count(*) FROM oauth_grants),
		(SELECT count(*) FROM audit_events), (SELECT count(*) FROM audit_seals), (SELECT max(version) FROM schema_migrations)`
	read := func(url string) [6]int64 {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var c [6]int64
		if err := conn.QueryRow(ctx, counts).Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	live, restored := read(tdb.AdminURL), read(drill.AdminURL)
	// The server's sealer may seal, after the dump, the event that `audit
	// seal` wrote about itself: the live chain may be ahead by that much.
	sealedLive, sealedRestored := live[4], restored[4]
	live[4], restored[4] = 0, 0
	if live != restored || restored[1] == 0 || sealedRestored == 0 || sealedRestored > sealedLive {
		t.Fatalf("restored counts (users, tasks, grants, audit events, -, schema version) %v with %d seals, live %v with %d", restored, sealedRestored, live, sealedLive)
	}

	// The server role reads the restored task, notes decrypted with the
	// keys the dump was taken with.
	var userID, taskID uuid.UUID
	err = pgxQueryRow(t, drill.AdminURL, `SELECT u.id, t.id FROM users u JOIN tasks t ON t.owner_id = u.id WHERE u.email = $1`, p.Email).Scan(&userID, &taskID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(srv.EncryptionKeys)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, drill.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.InUserTx(ctx, userID, func(tx pgx.Tx) error {
		got, err := postgres.NewTasks(keys).Get(ctx, tx, taskID)
		if err == nil && got.Notes != notes {
			t.Errorf("restored notes %q, want %q", got.Notes, notes)
		}
		return err
	})
	if err != nil {
		t.Fatalf("read the restored task as its owner: %v", err)
	}

	// The chain verifies on the restored database, as the operator runs it.
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": drill.AppURL, "TASKBRIDGE_AUDIT_KEY": auditKey}
	var out, errOut syncBuffer
	err = cli.Run(ctx, cli.Env{Args: []string{"audit", "verify"}, Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errOut})
	if err != nil || !strings.Contains(out.String()+errOut.String(), "audit trail OK") {
		t.Fatalf("audit verify on the restored database: %v\n%s%s", err, out.String(), errOut.String())
	}
}

func pgxQueryRow(t *testing.T, url, sql string, args ...any) pgx.Row {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn.QueryRow(context.Background(), sql, args...)
}
