package audit_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/metrics"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// scrapeAudit returns the taskbridge_audit_ lines of reg's scrape.
func scrapeAudit(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "taskbridge_audit_") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func wantRefused(t *testing.T, what string, err error, codes ...string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		for _, c := range codes {
			if pgErr.Code == c {
				return
			}
		}
	}
	t.Errorf("%s: want refusal %v, got %v", what, codes, err)
}

func eventIDs(t *testing.T) []int64 {
	t.Helper()
	rows, err := tdb.Admin(t).Query(context.Background(), `SELECT id FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// The attack of issue 13 item 4: as the server's runtime role, one fake
// head far ahead of the chain made every later pass seal nothing while the
// seal lag, measured after the head, read zero.
func TestRuntimeRoleCannotForgeAChainHead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.appendEvents(t, 3)
	f.sealAll(t)
	f.appendEvents(t, 2)
	ids := eventIDs(t)
	junk := make([]byte, 32)
	for _, c := range []struct {
		what string
		sql  string
		args []any
	}{
		{"a head far ahead", `INSERT INTO audit_seals (seq, event_id, key_id, hash) VALUES (1000000, 1000000, 'a1', $1)`, []any{junk}},
		{"the next seq for an event that does not exist", `INSERT INTO audit_seals (seq, event_id, key_id, hash) VALUES (4, 1000000, 'a1', $1)`, []any{junk}},
		{"the next seq for an already sealed event", `INSERT INTO audit_seals (seq, event_id, key_id, hash) VALUES (4, $2, 'a1', $1)`, []any{junk, ids[0]}},
		{"a checkpoint beyond the head", `INSERT INTO audit_checkpoints (seq, head_hash, created_at, key_id, mac) VALUES (1000000, $1, now(), 'a1', $1)`, []any{junk}},
		{"a second checkpoint at the head", `INSERT INTO audit_checkpoints (seq, head_hash, created_at, key_id, mac) SELECT seq, hash, now(), 'a1', $1 FROM audit_seals WHERE seq = 3`, []any{junk}},
	} {
		_, err := f.db.Pool.Exec(ctx, c.sql, c.args...)
		wantRefused(t, c.what, err, "23000")
	}

	// What the database still lets through: the next event sealed in order
	// with a hash made without the key. The sealer refuses to build on it.
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO audit_seals (seq, event_id, key_id, hash) VALUES (4, $2, 'a1', $1)`, junk, ids[3]); err != nil {
		t.Fatal(err)
	}
	reg := metrics.New()
	s := f.sealer(audit.SealerOptions{MaxWait: 30 * time.Second, WaitForLock: true, Metrics: reg})
	res, err := s.Seal(ctx)
	if !errors.Is(err, audit.ErrUntrustedHead) || res.Sealed != 0 {
		t.Fatalf("the sealer extended a forged head: %+v %v", res, err)
	}
	// The lag counts from the last head that verifies (seq 3), so the two
	// events behind the forged seal show as waiting.
	if res.HeadSeq != 3 || res.Lag <= 0 {
		t.Fatalf("a forged head hides the waiting events: %+v", res)
	}
	if got := scrapeAudit(t, reg); !strings.Contains(got, "taskbridge_audit_head_seq 3") || strings.Contains(got, "taskbridge_audit_seal_lag_seconds 0\n") {
		t.Fatalf("metrics after the refusal:\n%s", got)
	}
	rep := f.verify(t, f.keys, nil)
	wantProblem(t, rep, "edited", 4)
	wantProblem(t, rep, "checkpoint", 4)

	sw := audit.NewSweeper(postgres.NewAuditChain(f.db), f.keys, audit.SweeperOptions{Metrics: reg})
	pass, err := sw.Pass(ctx)
	if err != nil || !pass.Complete {
		t.Fatalf("sweep: %+v %v", pass, err)
	}
	wantProblem(t, pass.Report, "edited", 4)
	if got := scrapeAudit(t, reg); !strings.Contains(got, "taskbridge_audit_verify_problems 2") || !strings.Contains(got, "taskbridge_audit_verified_timestamp_seconds 0") {
		t.Fatalf("metrics after the sweep:\n%s", got)
	}
}

func TestSealerRefusesAHeadWhoseEventWasEdited(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	f.sealAll(t)
	tamper(t, `UPDATE audit_events SET outcome = 'denied' WHERE id = (SELECT event_id FROM audit_seals ORDER BY seq DESC LIMIT 1)`)
	f.appendEvents(t, 1)
	res, err := f.sealer(audit.SealerOptions{MaxWait: 30 * time.Second, WaitForLock: true}).Seal(context.Background())
	if !errors.Is(err, audit.ErrUntrustedHead) || res.Sealed != 0 || res.HeadSeq != 3 {
		t.Fatalf("sealed on top of an edited head: %+v %v", res, err)
	}
}

// As the owner: the age-out flag used to let any DELETE through. Now only
// what audit_age_out itself would remove goes, and the chain verifies.
func TestOwnerCannotDeleteRecentAuditRowsThroughTheAgeOutFlag(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 4)
	f.sealAll(t)
	f.appendEvents(t, 1)
	f.sealAll(t)
	ctx := context.Background()
	admin := tdb.Admin(t)
	for _, sql := range []string{
		`DELETE FROM audit_events WHERE id = (SELECT event_id FROM audit_seals WHERE seq = 2)`,
		`DELETE FROM audit_events`,
		`DELETE FROM audit_seals WHERE seq = 5`,
		`DELETE FROM audit_seals`,
		`DELETE FROM audit_checkpoints`,
		`DELETE FROM audit_checkpoints WHERE seq = (SELECT max(seq) FROM audit_checkpoints)`,
	} {
		err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('taskbridge.audit_age_out', 'on', true)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sql)
			return err
		})
		wantRefused(t, sql+" with the age-out flag", err, "42501")
	}
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.HeadSeq != 5 {
		t.Fatalf("%+v", rep)
	}
}

// As the owner, an event inserted with a time of its choosing: before
// migration 0009 it was sealed and verified.
func TestBackdatedEventIsReportedBySealerAndVerify(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 2)
	f.sealAll(t)
	if _, err := tdb.Admin(t).Exec(context.Background(), `INSERT INTO audit_events (event_type, outcome, occurred_at) VALUES ('auth.login', 'success', '2025-03-01T12:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	f.appendEvents(t, 1)
	res, err := f.sealer(audit.SealerOptions{MaxWait: 30 * time.Second, WaitForLock: true}).Seal(context.Background())
	if err != nil || res.Sealed != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Kind != "backdated" || res.Problems[0].Seq != 3 {
		t.Fatalf("sealer problems: %v", res.Problems)
	}
	rep := f.verify(t, f.keys, nil)
	wantProblem(t, rep, "backdated", 3)
	if len(rep.Problems) != 1 {
		t.Fatalf("only the back-dated event is out of order: %v", rep.Problems)
	}
}

// serve's scheduled verify: bounded passes that go round the whole chain,
// a metric that stays up until a whole sweep is clean again.
func TestSweeperVerifiesInBoundedPassesAndReportsTampering(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.appendEvents(t, 25)
	f.sealAll(t)
	reg := metrics.New()
	clock := time.Unix(1_800_000_000, 0)
	sw := audit.NewSweeper(postgres.NewAuditChain(f.db), f.keys, audit.SweeperOptions{Batch: 10, Metrics: reg, Now: func() time.Time { return clock }})
	pass := func() audit.SweepResult {
		t.Helper()
		res, err := sw.Pass(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i, wantComplete := range []bool{false, false, true} {
		if res := pass(); res.Complete != wantComplete || !res.Report.OK() {
			t.Fatalf("pass %d: %+v", i, res)
		}
	}
	if got := scrapeAudit(t, reg); !strings.Contains(got, "taskbridge_audit_verified_timestamp_seconds 1.8e+09") || !strings.Contains(got, "taskbridge_audit_verify_problems 0") {
		t.Fatalf("after a clean sweep:\n%s", got)
	}

	// New seals are picked up; an edit far behind the head is found by
	// the next sweep's first pass.
	f.appendEvents(t, 5)
	f.sealAll(t)
	tamper(t, `UPDATE audit_events SET outcome = 'denied' WHERE id = 4`)
	clock = clock.Add(time.Hour)
	res := pass()
	wantProblem(t, res.Report, "edited", 4)
	if got := scrapeAudit(t, reg); !strings.Contains(got, "taskbridge_audit_verify_problems 1") {
		t.Fatalf("after finding the edit:\n%s", got)
	}
	for !res.Complete {
		res = pass()
	}
	if res.SweepProblems != 1 {
		t.Fatalf("sweep: %+v", res)
	}
	// The problem stays on the metric for the next sweep too, and a sweep
	// with a problem does not count as verified.
	pass()
	if got := scrapeAudit(t, reg); !strings.Contains(got, "taskbridge_audit_verified_timestamp_seconds 1.8e+09") || !strings.Contains(got, "taskbridge_audit_verify_problems 1") {
		t.Fatalf("after the tampered sweep:\n%s", got)
	}
}

// A cut of the tail behind the sweep's position is seen on the next pass.
func TestSweeperNoticesASealRemovedBehindIt(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 8)
	f.sealAll(t)
	sw := audit.NewSweeper(postgres.NewAuditChain(f.db), f.keys, audit.SweeperOptions{Batch: 5})
	if res, err := sw.Pass(context.Background()); err != nil || res.Complete || !res.Report.OK() {
		t.Fatalf("%+v %v", res, err)
	}
	tamper(t, `DELETE FROM audit_seals WHERE seq >= 5`, `DELETE FROM audit_events WHERE id >= 5`, `DELETE FROM audit_checkpoints WHERE seq >= 5`)
	res, err := sw.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, res.Report, "deleted", 5)
}

// A hole in the chain wider than a pass does not stall the sweep.
func TestSweeperGoesOnPastAHoleWiderThanAPass(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 30)
	f.sealAll(t)
	tamper(t, `DELETE FROM audit_seals WHERE seq BETWEEN 6 AND 25`, `DELETE FROM audit_events WHERE id BETWEEN 6 AND 25`)
	sw := audit.NewSweeper(postgres.NewAuditChain(f.db), f.keys, audit.SweeperOptions{Batch: 5})
	var problems []audit.Problem
	for range 10 {
		res, err := sw.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		problems = append(problems, res.Report.Problems...)
		if res.Complete {
			wantProblem(t, audit.Report{Problems: problems}, "deleted", 6)
			return
		}
	}
	t.Fatalf("the sweep never reached the head; problems so far: %v", problems)
}

// Development without TASKBRIDGE_AUDIT_KEY: each process has its own
// random key, so a restarted server cannot verify the head the last one
// left, and goes on sealing after it rather than stalling.
func TestEphemeralKeyGoesOnFromAnEarlierProcesssHead(t *testing.T) {
	f := newFixture(t)
	for range 2 {
		keys, err := audit.EphemeralKeys()
		if err != nil {
			t.Fatal(err)
		}
		f.keys, f.log = keys, postgres.NewAuditLog(keys)
		f.appendEvents(t, 2)
		f.sealAll(t)
	}
	if rep := f.verify(t, f.keys, nil); rep.HeadSeq != 4 || rep.Unsealed != 0 {
		t.Fatalf("%+v", rep)
	}
}
