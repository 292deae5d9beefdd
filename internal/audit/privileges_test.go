package audit_test

import (
	"context"
	"errors"
	"testing"

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
		`UPDATE audit_events SET outcome = 'denied'`, `DELETE FROM audit_events`,
		`UPDATE audit_seals SET hash = hash`, `DELETE FROM audit_seals`, `TRUNCATE audit_seals`,
		`UPDATE audit_checkpoints SET seq = seq`, `DELETE FROM audit_checkpoints`, `TRUNCATE audit_checkpoints`,
	} {
		_, err := admin.Exec(context.Background(), sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s as the owner: want the append-only trigger to refuse, got %v", sql, err)
		}
	}
}
