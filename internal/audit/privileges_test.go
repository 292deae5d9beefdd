package audit_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestRuntimeRoleCannotUpdateDeleteOrTruncateTheTrail(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	f.sealAll(t)
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE audit_events SET outcome = 'denied'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`UPDATE audit_seals SET hash = hash`,
		`DELETE FROM audit_seals`,
		`TRUNCATE audit_seals`,
		`UPDATE audit_checkpoints SET seq = seq`,
		`DELETE FROM audit_checkpoints`,
		`TRUNCATE audit_checkpoints`,
		`ALTER TABLE audit_events DISABLE TRIGGER USER`,
		`SELECT setval('audit_events_id_seq', 1)`,
	} {
		_, err := f.db.Pool.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "42501" && pgErr.Code != "42809") {
			t.Errorf("%s as the runtime role: want permission denied, got %v", sql, err)
		}
	}
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.HeadSeq != 3 {
		t.Fatalf("%+v", rep)
	}
}

func TestTriggersRefuseChangesEvenWithThePrivilege(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser TEST_DATABASE_URL")
	}
	f := newFixture(t)
	f.appendEvents(t, 1)
	f.sealAll(t)
	admin := tdb.Admin(t)
	for _, sql := range []string{
		`UPDATE audit_events SET outcome = 'denied'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`,
		`UPDATE audit_seals SET hash = hash`, `DELETE FROM audit_seals`, `TRUNCATE audit_seals`,
		`UPDATE audit_checkpoints SET seq = seq`, `DELETE FROM audit_checkpoints`, `TRUNCATE audit_checkpoints`,
	} {
		_, err := admin.Exec(context.Background(), sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s as the owner: want the append-only trigger to refuse, got %v", sql, err)
		}
	}
	// Every table with a TRUNCATE-refusing trigger is covered above, so
	// dropping any of those triggers fails this test.
	rows, err := admin.Query(context.Background(), `SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE NOT t.tgisinternal AND (t.tgtype & 32) <> 0 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	guarded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"audit_checkpoints", "audit_events", "audit_seals"}; !slices.Equal(guarded, want) {
		t.Errorf("tables with a TRUNCATE trigger: %v, want %v (extend the TRUNCATE cases above)", guarded, want)
	}
}

// The server writes an event's content, never its id or time (P2, L5,
// migration 0007): naming id would let it claim future ids, so that every
// later audited action fails on the duplicate key; naming occurred_at would
// back-date events. Append still works, with both from their defaults.
func TestRuntimeRoleCannotChooseAnEventsIdOrTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO audit_events (id, event_type, outcome) VALUES (1000000, 'test.claim', 'success')`,
		`INSERT INTO audit_events (occurred_at, event_type, outcome) VALUES ('2001-01-01', 'test.backdate', 'success')`,
		`INSERT INTO audit_events (id, occurred_at, event_type, outcome) VALUES (DEFAULT, DEFAULT, 'test.default', 'success')`,
		`INSERT INTO audit_events SELECT * FROM audit_events`,
	} {
		_, err := f.db.Pool.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s as the runtime role: want permission denied, got %v", sql, err)
		}
	}
	start := time.Now()
	f.appendEvents(t, 2)
	admin := tdb.Admin(t)
	var n int
	var maxID int64
	var oldest time.Time
	if err := admin.QueryRow(ctx, `SELECT count(*), max(id), min(occurred_at) FROM audit_events`).Scan(&n, &maxID, &oldest); err != nil {
		t.Fatal(err)
	}
	if n != 2 || maxID > 1000 || oldest.Before(start.Add(-time.Minute)) {
		t.Fatalf("after Append: %d events, max id %d, oldest at %v", n, maxID, oldest)
	}
	var tableWide bool
	if err := admin.QueryRow(ctx, `SELECT has_table_privilege('taskbridge_runtime', 'audit_events', 'INSERT')`).Scan(&tableWide); err != nil || tableWide {
		t.Fatalf("taskbridge_runtime holds INSERT on every column of audit_events (%v)", err)
	}
	f.sealAll(t)
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.HeadSeq != 2 {
		t.Fatalf("%+v", rep)
	}
}
