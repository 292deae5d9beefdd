package testdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Database is one fresh database with its own app login role. Test packages
// keep the *Database that Main hands them; nothing here is global.
type Database struct {
	Name string
	// AdminURL connects to this database as the role that ran the
	// migrations (the server's superuser, or TEST_DATABASE_URL's role). For
	// setting up and inspecting state, never for the code under test.
	AdminURL string
	// AdminIsSuperuser is false when TEST_DATABASE_URL names a role with
	// only CREATEDB and CREATEROLE: it owns the tables, so FORCE ROW LEVEL
	// SECURITY applies to it. Tests that need to see past RLS skip then.
	AdminIsSuperuser bool
	// AppURL connects as AppRole, a LOGIN role whose only privilege is
	// membership in taskbridge_runtime: what production code connects with.
	AppURL  string
	AppRole string
	// ServerAdminURL is the same admin role on the server's maintenance
	// database, for creating further databases.
	ServerAdminURL string

	pkg string // sanitised test package name, reused for further databases
}

const (
	setupTimeout    = 3 * time.Minute // initdb plus migrations on a slow CI machine
	teardownTimeout = time.Minute
	helperTimeout   = 30 * time.Second
)

// Admin opens a connection as the admin role on this database, closed when
// the test ends.
func (d *Database) Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		t.Fatalf("testdb: connect as admin to %s: %v", d.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

// Reset empties every table the migrations made, for a test that wants a
// clean slate. Triggers that refuse TRUNCATE (the append-only audit trail)
// are switched off for the truncate only, inside one transaction, so no other
// session ever sees them off.
func (d *Database) Reset(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	if err := d.reset(ctx, d.Admin(t)); err != nil {
		t.Fatalf("testdb: reset %s: %v", d.Name, err)
	}
}

func (d *Database) reset(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// Every table outside the system schemas, except golang-migrate's record
	// of the schema version. Partitions go with their parent.
	tables, err := queryStrings(ctx, tx, `
		SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
		  AND NOT (c.relname = 'schema_migrations' AND n.nspname = current_schema())
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	// Enabled user triggers that fire on TRUNCATE (tgtype bit 5), and how to
	// re-enable each exactly as it was.
	rows, err := tx.Query(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname), quote_ident(t.tgname),
		       CASE t.tgenabled WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'ENABLE' END
		FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND (t.tgtype & 32) <> 0
		  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'`)
	if err != nil {
		return fmt.Errorf("list truncate triggers: %w", err)
	}
	triggers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[truncateTrigger])
	if err != nil {
		return fmt.Errorf("list truncate triggers: %w", err)
	}
	for _, trig := range triggers {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+trig.Table+" DISABLE TRIGGER "+trig.Name); err != nil {
			return fmt.Errorf("disable truncate trigger: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" RESTART IDENTITY CASCADE"); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	for _, trig := range triggers {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+trig.Table+" "+trig.EnableMode+" TRIGGER "+trig.Name); err != nil {
			return fmt.Errorf("re-enable truncate trigger: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// NewMigrated creates another migrated database with its own app role on the
// same server, dropped when the test ends.
func (d *Database) NewMigrated(t testing.TB) *Database {
	t.Helper()
	return d.newDatabase(t, true)
}

// NewEmpty is NewMigrated without the migrations, for tests of the
// migrations themselves. Its app role is already a member of
// taskbridge_runtime, which Main's migrations created.
func (d *Database) NewEmpty(t testing.TB) *Database {
	t.Helper()
	return d.newDatabase(t, false)
}

func (d *Database) newDatabase(t testing.TB, migrate bool) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	fresh, err := createDatabase(ctx, d.ServerAdminURL, d.pkg, migrate)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		if err := fresh.drop(ctx); err != nil {
			t.Errorf("testdb: %v", err)
		}
	})
	return fresh
}

// truncateTrigger is a trigger Reset must switch off; Table and Name are
// already quoted identifiers.
type truncateTrigger struct {
	Table, Name, EnableMode string
}

func queryStrings(ctx context.Context, tx postgres.Querier, sql string) ([]string, error) {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
