package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// oldEvents inserts n events that occurred at `at` (as the admin: Append
// always stamps now) and seals them with a sealer whose clock says `at`,
// as if it had run back then.
func (f *fixture) oldEvents(t *testing.T, n int, at time.Time) {
	t.Helper()
	admin := tdb.Admin(t)
	for range n {
		if _, err := admin.Exec(context.Background(), `INSERT INTO audit_events (event_type, outcome, occurred_at) VALUES ('test.old', 'success', $1)`, at); err != nil {
			t.Fatal(err)
		}
	}
	s := f.sealer(audit.SealerOptions{MaxWait: untilSafe, WaitForLock: true, Now: func() time.Time { return at }})
	if _, err := s.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAgeOutKeepsTheChainVerifiable(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser TEST_DATABASE_URL to backdate events")
	}
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.oldEvents(t, 3, now.Add(-400*24*time.Hour)) // seq 1-3, checkpoint at 3
	f.oldEvents(t, 3, now.Add(-300*24*time.Hour)) // seq 4-6, checkpoint at 6
	f.oldEvents(t, 3, now.Add(-10*24*time.Hour))  // seq 7-9: within the year
	f.appendEvents(t, 2)
	f.sealAll(t)

	n, err := postgres.AgeOutAudit(ctx, f.db.Pool, now.Add(-365*24*time.Hour), 1000)
	if err != nil || n != 3 {
		t.Fatalf("age out past a year: %d %v", n, err)
	}
	rep := f.verify(t, f.keys, nil)
	if !rep.OK() || rep.FirstSeq != 4 || rep.HeadSeq != 11 {
		t.Fatalf("after ageing out: %+v", rep)
	}
	// Nothing younger than the cutoff goes, however often it runs.
	if n, err := postgres.AgeOutAudit(ctx, f.db.Pool, now.Add(-365*24*time.Hour), 1000); err != nil || n != 0 {
		t.Fatalf("second pass: %d %v", n, err)
	}
	if n, err := postgres.AgeOutAudit(ctx, f.db.Pool, now.Add(-200*24*time.Hour), 1000); err != nil || n != 3 {
		t.Fatalf("age out past 200 days: %d %v", n, err)
	}
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.FirstSeq != 7 {
		t.Fatalf("%+v", rep)
	}

	// The server cannot use it to erase recent history.
	_, err = postgres.AgeOutAudit(ctx, f.db.Pool, now, 1000)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("ageing out up to now: want refusal, got %v", err)
	}
	// Cutting a prefix by hand to a recent checkpoint is reported.
	tamper(t, `DELETE FROM audit_events WHERE id IN (SELECT event_id FROM audit_seals WHERE seq <= 9)`,
		`DELETE FROM audit_seals WHERE seq <= 9`)
	wantProblem(t, f.verify(t, f.keys, nil), "deleted", 10)
}
