package e2e_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/capture"
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
	sealThrough(t)

	// The dump and the live counts it is compared with come from one
	// snapshot: the server's background work (its sealer seals the event
	// `audit seal` itself records) may change the database at any moment.
	admin := tdb.Admin(t)
	snap, err := admin.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = snap.Rollback(ctx) }()
	var snapshot string
	if err := snap.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		t.Fatal(err)
	}
	const counts = `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM tasks), (SELECT count(*) FROM oauth_grants),
		(SELECT count(*) FROM audit_events), (SELECT count(*) FROM audit_seals), (SELECT max(version) FROM schema_migrations)`
	read := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) [6]int64 {
		var c [6]int64
		if err := q.QueryRow(ctx, counts).Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	live := read(snap)
	dump := filepath.Join(t.TempDir(), "taskbridge.dump")
	if out, err := exec.CommandContext(ctx, pgDump, "--format=custom", "--snapshot", snapshot, "--file", dump, "--dbname", tdb.AdminURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if err := snap.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	drill := tdb.NewEmpty(t)
	if out, err := exec.CommandContext(ctx, pgRestore, "--exit-on-error", "--dbname", drill.AdminURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restoredConn, err := pgx.Connect(ctx, drill.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer restoredConn.Close(ctx)
	if restored := read(restoredConn); live != restored || restored[1] == 0 || restored[4] == 0 {
		t.Fatalf("restored counts (users, tasks, grants, audit events, seals, schema version) %v, live %v", restored, live)
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
	err = db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
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
	var out, errOut capture.Buffer
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
