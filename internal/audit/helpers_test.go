package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// fixture is a clean trail, the server's pool and a key.
type fixture struct {
	db   *postgres.DB
	spec string
	keys *audit.Keys
	log  *postgres.AuditLog
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tdb.Reset(t)
	db, err := postgres.Open(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	spec := keySpec(t, "a1")
	keys := parseKeys(t, spec)
	return &fixture{db: db, spec: spec, keys: keys, log: postgres.NewAuditLog(keys)}
}

// keySpec generates one audit key in the TASKBRIDGE_AUDIT_KEY format.
func keySpec(t *testing.T, id string) string {
	t.Helper()
	s, err := keyring.Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseKeys(t *testing.T, spec string) *audit.Keys {
	t.Helper()
	k, err := audit.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKeys(t *testing.T, id string) *audit.Keys { return parseKeys(t, keySpec(t, id)) }

func (f *fixture) appendEvents(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		err := f.db.InSystemTx(context.Background(), func(tx postgres.Querier) error {
			return f.log.Append(context.Background(), tx, audit.Event{
				Type: "test.event", Outcome: audit.OutcomeSuccess, RequestID: fmt.Sprintf("req-%d", i),
				Detail: map[string]any{"n": i},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) sealer(opts audit.SealerOptions) *audit.Sealer {
	return audit.NewSealer(postgres.NewAuditChain(f.db), f.keys, opts)
}

// untilSafe is the MaxWait of a sealer pass that must seal what the test
// committed. The watermark is cluster-wide and other test packages may
// hold a transaction open for any time, so such a pass waits for the
// state it needs, bounded only by go test's -timeout.
const untilSafe = time.Hour

// sealAll seals until nothing is left, as the server's ticker does.
func (f *fixture) sealAll(t *testing.T) {
	t.Helper()
	s := f.sealer(audit.SealerOptions{MaxWait: untilSafe, Batch: 1000, WaitForLock: true})
	for range 100 {
		res, err := s.Seal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Sealed == 0 {
			return
		}
	}
	t.Fatal("the sealer never caught up")
}

func (f *fixture) verify(t *testing.T, keys *audit.Keys, anchor *audit.Anchor) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), postgres.NewAuditChain(f.db), keys, anchor)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// tamper runs sql as the database superuser with the append-only triggers
// switched off: what an attacker with full database access can do.
func tamper(t *testing.T, sql ...string) {
	t.Helper()
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser TEST_DATABASE_URL to disable triggers")
	}
	ctx := context.Background()
	admin := tdb.Admin(t)
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, table := range []string{"audit_events", "audit_seals", "audit_checkpoints"} {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" DISABLE TRIGGER USER"); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sql {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, table := range []string{"audit_events", "audit_seals", "audit_checkpoints"} {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" ENABLE TRIGGER USER"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// wantProblem fails unless rep holds a problem of kind (at seq, when > 0).
func wantProblem(t *testing.T, rep audit.Report, kind string, seq int64) {
	t.Helper()
	for _, p := range rep.Problems {
		if p.Kind == kind && (seq == 0 || p.Seq == seq) {
			return
		}
	}
	t.Fatalf("want a %q problem at seq %d, got %v", kind, seq, rep.Problems)
}
