package testdb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestMainDatabaseIsMigrated(t *testing.T) {
	ctx := context.Background()
	state, err := postgres.MigrationVersion(ctx, tdb.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := postgres.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	if state.None || state.Dirty || state.Version != latest {
		t.Fatalf("schema state %+v, want clean version %d", state, latest)
	}
	var current string
	if err := tdb.Admin(t).QueryRow(ctx, `SELECT current_database()`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != tdb.Name {
		t.Fatalf("AdminURL connects to %q, want %q", current, tdb.Name)
	}
	var super bool
	if err := tdb.Admin(t).QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
		t.Fatal(err)
	}
	if super != tdb.AdminIsSuperuser {
		t.Fatalf("AdminIsSuperuser = %v, but the admin role has rolsuper = %v", tdb.AdminIsSuperuser, super)
	}
}

func TestAppRoleHasOnlyRuntimePrivileges(t *testing.T) {
	ctx := context.Background()
	app := connect(t, tdb.AppURL)
	var (
		user, database              string
		super, bypassRLS, createDB  bool
		createRole, memberOfRuntime bool
	)
	err := app.QueryRow(ctx, `
		SELECT current_user, current_database(), rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,
		       pg_has_role(current_user, $1, 'MEMBER')
		FROM pg_roles WHERE rolname = current_user`, postgres.RuntimeRole).
		Scan(&user, &database, &super, &bypassRLS, &createDB, &createRole, &memberOfRuntime)
	if err != nil {
		t.Fatal(err)
	}
	if user != tdb.AppRole || database != tdb.Name {
		t.Fatalf("AppURL is %s on %s, want %s on %s", user, database, tdb.AppRole, tdb.Name)
	}
	if super || bypassRLS || createDB || createRole {
		t.Fatalf("app role attributes super=%v bypassrls=%v createdb=%v createrole=%v, want none", super, bypassRLS, createDB, createRole)
	}
	if !memberOfRuntime {
		t.Fatalf("app role is not a member of %s", postgres.RuntimeRole)
	}
	_, err = app.Exec(ctx, `CREATE TABLE app_may_not_create (id int)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("CREATE TABLE as app role: err = %v, want insufficient_privilege", err)
	}

	// The production pool accepts it: it passes postgres.Open's role checks.
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatalf("postgres.Open(AppURL): %v", err)
	}
	db.Close()
}

func TestResetEmptiesTablesAndKeepsTriggers(t *testing.T) {
	ctx := context.Background()
	d := tdb.NewMigrated(t)
	admin := d.Admin(t)
	setup := []string{
		// A table of this test's own with a TRUNCATE-refusing trigger in
		// each enabled state, besides the project's append-only audit trail.
		`CREATE TABLE reset_probe (id int GENERATED ALWAYS AS IDENTITY, note text)`,
		`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
		`CREATE TRIGGER refuse_origin BEFORE TRUNCATE ON reset_probe FOR EACH STATEMENT EXECUTE FUNCTION refuse()`,
		`CREATE TRIGGER refuse_always BEFORE TRUNCATE ON reset_probe FOR EACH STATEMENT EXECUTE FUNCTION refuse()`,
		`ALTER TABLE reset_probe ENABLE ALWAYS TRIGGER refuse_always`,
		`CREATE TRIGGER refuse_disabled BEFORE TRUNCATE ON reset_probe FOR EACH STATEMENT EXECUTE FUNCTION refuse()`,
		`ALTER TABLE reset_probe DISABLE TRIGGER refuse_disabled`,
		`INSERT INTO reset_probe (note) VALUES ('a'), ('b')`,
		`INSERT INTO audit_events (event_type, outcome) VALUES ('test.reset', 'success')`,
	}
	for _, stmt := range setup {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	triggerStates := func() map[string]string {
		rows, err := admin.Query(ctx, `SELECT tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal`)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for rows.Next() {
			var name, state string
			if err := rows.Scan(&name, &state); err != nil {
				t.Fatal(err)
			}
			states[name] = state
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return states
	}
	before := triggerStates()

	d.Reset(t)

	for _, table := range []string{"reset_probe", "audit_events", "users", "tasks"} {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after Reset", table, n)
		}
	}
	var id int
	if err := admin.QueryRow(ctx, `INSERT INTO reset_probe (note) VALUES ('c') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 1 {
		t.Errorf("identity continued at %d after Reset, want 1", id)
	}
	after := triggerStates()
	if len(after) != len(before) {
		t.Fatalf("triggers before %v, after %v", before, after)
	}
	for name, state := range before {
		if after[name] != state {
			t.Errorf("trigger %s was %q before Reset, %q after", name, state, after[name])
		}
	}
	if _, err := admin.Exec(ctx, `TRUNCATE audit_events`); err == nil {
		t.Error("audit_events accepts TRUNCATE after Reset: its trigger was left off")
	}
	state, err := postgres.MigrationVersion(ctx, d.AdminURL)
	if err != nil || state.None {
		t.Errorf("Reset emptied the migration record: %+v, %v", state, err)
	}
}

func TestNewDatabasesAreDroppedWithTheirTest(t *testing.T) {
	ctx := context.Background()
	var name, role string
	t.Run("uses a fresh empty database", func(t *testing.T) {
		d := tdb.NewEmpty(t)
		name, role = d.Name, d.AppRole
		if d.Name == tdb.Name || d.AppRole == tdb.AppRole {
			t.Fatalf("NewEmpty reused %s / %s", d.Name, d.AppRole)
		}
		var tables int
		if err := connect(t, d.AppURL).QueryRow(ctx,
			`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
			t.Fatalf("app role cannot use its new database: %v", err)
		}
		if tables != 0 {
			t.Fatalf("NewEmpty database has %d tables", tables)
		}
	})
	server := connect(t, tdb.ServerAdminURL)
	var dbExists, roleExists bool
	err := server.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1),
		EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)`, name, role).Scan(&dbExists, &roleExists)
	if err != nil {
		t.Fatal(err)
	}
	if dbExists || roleExists {
		t.Fatalf("after the test: database %s exists=%v, role %s exists=%v", name, dbExists, role, roleExists)
	}
}
