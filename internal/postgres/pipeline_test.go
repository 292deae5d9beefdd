package postgres_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// countingConn counts Write calls on the connection to PostgreSQL. pgx
// buffers a request (a query, or a whole pipeline up to its Sync) and
// writes it at once, then waits for the answer: one write is one round
// trip.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// openCounted is a one-connection pool whose writes are counted.
func openCounted(t testing.TB) (*postgres.DB, *atomic.Int64) {
	t.Helper()
	writes := new(atomic.Int64)
	db, err := postgres.OpenAdjusted(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 1}, func(cfg *pgxpool.Config) {
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, writes: writes}, nil
		}
		// No liveness ping on acquire: it would be a round trip of its own.
		cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, writes
}

func testAuditLog(t testing.TB) *postgres.AuditLog {
	t.Helper()
	spec, err := keyring.Generate("a1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return postgres.NewAuditLog(keys)
}

// adminCount counts rows as the migration owner (no RLS in the way).
func adminCount(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := tdb.Admin(t).QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// assertPoolIdle checks that no connection is checked out and that the
// pool still serves a transaction that reads and writes.
func assertPoolIdle(t *testing.T, db *postgres.DB, user uuid.UUID) {
	t.Helper()
	if st := db.Pool.Stat(); st.AcquiredConns() != 0 {
		t.Fatalf("%d connections still acquired", st.AcquiredConns())
	}
	var n int
	err := db.InUserPipeline(context.Background(), user, func(tx *postgres.PipelineTx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM tasks WHERE owner_id = app_current_user_id()`).Scan(&n)
	})
	if err != nil {
		t.Fatalf("the pool cannot run a transaction afterwards: %v", err)
	}
}

func TestPipelineFirstStatementRunsAsTheUser(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	alice, bob := newUser(t, db), newUser(t, db)
	mine := createTask(t, db, store, alice, "alice's")
	theirs := createTask(t, db, store, bob, "bob's")

	// A raw SELECT as the first statement: only Alice's row.
	err := db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		rows, err := tx.Query(ctx, `SELECT id, owner_id FROM tasks`)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (uuid.UUID, error) {
			var id, owner uuid.UUID
			err := r.Scan(&id, &owner)
			if err == nil && owner != alice {
				t.Errorf("alice's first statement sees a task of %s", owner)
			}
			return id, err
		})
		if err != nil {
			return err
		}
		if len(ids) != 1 || ids[0] != mine.ID {
			t.Errorf("alice's first statement sees %v, want only %s", ids, mine.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The store's list as the first statement: the same.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		f := task.Filter{}
		if err := f.Normalize(); err != nil {
			return err
		}
		got, _, err := store.List(ctx, tx, f, nil)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ID != mine.ID || got[0].Notes != "private notes of alice's" {
			t.Errorf("alice's list as the first statement: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// An UPDATE of Bob's task as the first statement touches nothing.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		tag, err := tx.Exec(ctx, `UPDATE tasks SET title = 'pwned' WHERE id = $1`, theirs.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("alice's first-statement UPDATE of bob's task affected %d rows", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := adminCount(t, `SELECT count(*) FROM tasks WHERE title = 'pwned'`); n != 0 {
		t.Fatalf("%d tasks renamed by another user", n)
	}

	// A deferred statement runs as the user too: its WITH CHECK refuses a
	// row for someone else.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		tx.Defer(`INSERT INTO tasks (id, owner_id, title) VALUES ($1, $2, 'forged')`, uuid.New(), bob)
		return nil
	})
	if err == nil {
		t.Fatal("a deferred insert of a row for another user committed")
	}

	// And nothing carries over to the next user of the connection.
	one, _ := openCounted(t)
	if err := one.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		_, err := store.Get(ctx, tx, mine.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var setting *string
	if err := one.Pool.QueryRow(ctx, `SELECT nullif(current_setting('app.user_id', true), '')`).Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != nil {
		t.Fatalf("the user setting outlived the transaction: %q", *setting)
	}
}

func TestPipelineRefusesTheNilUser(t *testing.T) {
	db := openDB(t)
	ran := false
	err := db.InUserPipeline(context.Background(), uuid.Nil, func(*postgres.PipelineTx) error { ran = true; return nil })
	if err == nil || ran {
		t.Fatalf("uuid.Nil: err %v, fn ran %v", err, ran)
	}
}

func TestPipelineIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	alice := newUser(t, db)
	log := testAuditLog(t)
	titled := func(title string) int {
		return adminCount(t, `SELECT count(*) FROM tasks WHERE title = $1`, title)
	}

	// fn fails after its write: nothing is written.
	boom := errors.New("boom")
	err := db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "fn failed"}); err != nil {
			return err
		}
		if err := log.Append(ctx, tx.Deferred(), audit.Event{Type: "test.pipeline", Outcome: audit.OutcomeSuccess, ActorID: alice}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want fn's", err)
	}
	if titled("fn failed") != 0 || adminCount(t, `SELECT count(*) FROM audit_events WHERE event_type = 'test.pipeline'`) != 0 {
		t.Fatal("fn's error did not roll back its write and audit row")
	}
	assertPoolIdle(t, db, alice)

	// A deferred statement fails (a duplicate key): the effect goes too.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		created, err := store.Create(ctx, tx, task.NewTask{Title: "deferred failed"})
		if err != nil {
			return err
		}
		tx.Defer(`INSERT INTO tasks (id, owner_id, title) VALUES ($1, app_current_user_id(), 'duplicate')`, created.ID)
		return nil
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("err %v, want the deferred insert's unique violation", err)
	}
	if titled("deferred failed") != 0 {
		t.Fatal("the effect committed although a deferred statement failed")
	}
	assertPoolIdle(t, db, alice)

	// The first statement fails: its error, and nothing committed.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		tx.Defer(`INSERT INTO tasks (id, owner_id, title) VALUES ($1, app_current_user_id(), 'after a failed statement')`, uuid.New())
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		return err
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "22012" {
		t.Fatalf("err %v, want division by zero", err)
	}
	assertPoolIdle(t, db, alice)

	// A later statement fails and fn ignores the error: COMMIT answers
	// ROLLBACK, which must not pass for a commit.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "ignored failure"}); err != nil {
			return err
		}
		_, _ = tx.Exec(ctx, `SELECT 1/0`)
		return nil
	})
	if !errors.Is(err, pgx.ErrTxCommitRollback) {
		t.Fatalf("err %v, want pgx.ErrTxCommitRollback", err)
	}
	if titled("ignored failure") != 0 {
		t.Fatal("a write committed although the transaction had failed")
	}
	assertPoolIdle(t, db, alice)

	// Success: the effect and its deferred audit row commit together.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "committed"}); err != nil {
			return err
		}
		return log.Append(ctx, tx.Deferred(), audit.Event{Type: "test.pipeline", Outcome: audit.OutcomeSuccess, ActorID: alice})
	})
	if err != nil {
		t.Fatal(err)
	}
	if titled("committed") != 1 || adminCount(t, `SELECT count(*) FROM audit_events WHERE event_type = 'test.pipeline'`) != 1 {
		t.Fatal("the effect and its audit row did not both commit")
	}

	// Only deferred statements: opening, statements and COMMIT in one go.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		return log.Append(ctx, tx.Deferred(), audit.Event{Type: "test.pipeline.only", Outcome: audit.OutcomeSuccess, ActorID: alice})
	})
	if err != nil || adminCount(t, `SELECT count(*) FROM audit_events WHERE event_type = 'test.pipeline.only'`) != 1 {
		t.Fatalf("a transaction of deferred statements only: %v", err)
	}
	assertPoolIdle(t, db, alice)
}

// TestPipelineRoundTrips counts what a get-shaped tool call (one query and
// one deferred audit insert) costs: two round trips pipelined, four with
// InUserTx (BEGIN with the user setting, the query, the insert, COMMIT).
func TestPipelineRoundTrips(t *testing.T) {
	ctx := context.Background()
	db, writes := openCounted(t)
	store := postgres.NewTasks(testKeys(t))
	log := testAuditLog(t)
	alice := newUser(t, db)
	created := createTask(t, db, store, alice, "counted")
	event := audit.Event{Type: "test.roundtrips", Outcome: audit.OutcomeSuccess, ActorID: alice}

	pipelined := func() error {
		return db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
			if _, err := store.Get(ctx, tx, created.ID); err != nil {
				return err
			}
			return log.Append(ctx, tx.Deferred(), event)
		})
	}
	plain := func() error {
		return db.InUserTx(ctx, alice, func(tx postgres.Querier) error {
			if _, err := store.Get(ctx, tx, created.ID); err != nil {
				return err
			}
			return log.Append(ctx, tx, event)
		})
	}
	onlyDeferred := func() error {
		return db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
			return log.Append(ctx, tx.Deferred(), event)
		})
	}
	for _, tc := range []struct {
		name string
		run  func() error
		want int64
	}{
		{"InUserPipeline get+audit", pipelined, 2},
		{"InUserTx get+audit", plain, 4},
		{"InUserPipeline audit only", onlyDeferred, 1},
	} {
		// The first run on the connection prepares the statements (a round
		// trip of its own, once per connection and statement).
		if err := tc.run(); err != nil {
			t.Fatal(err)
		}
		writes.Store(0)
		if err := tc.run(); err != nil {
			t.Fatal(err)
		}
		if got := writes.Load(); got != tc.want {
			t.Errorf("%s: %d round trips, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPipelineCancelledContextLeavesNoTransaction(t *testing.T) {
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	alice := newUser(t, db)

	// Cancelled while a statement runs on the server.
	ctx, cancel := context.WithCancel(context.Background())
	err := db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "cancelled mid-statement"}); err != nil {
			return err
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := tx.Exec(ctx, `SELECT pg_sleep(2)`)
		return err
	})
	cancel()
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}

	// Cancelled between statements: the commit is never sent.
	ctx, cancel = context.WithCancel(context.Background())
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "cancelled before commit"}); err != nil {
			return err
		}
		tx.Defer(`INSERT INTO tasks (id, owner_id, title) VALUES ($1, app_current_user_id(), 'cancelled deferred')`, uuid.New())
		cancel()
		return nil
	})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}

	// Cancelled before anything was sent.
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		_, err := store.Create(ctx, tx, task.NewTask{Title: "cancelled before begin"})
		return err
	})
	if err == nil {
		t.Fatal("a transaction ran on a cancelled context")
	}

	if n := adminCount(t, `SELECT count(*) FROM tasks WHERE title LIKE 'cancelled%'`); n != 0 {
		t.Fatalf("%d partial writes committed", n)
	}
	if n := adminCount(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`); n != 0 {
		t.Fatalf("%d connections left idle in a transaction", n)
	}
	assertPoolIdle(t, db, alice)
	for _, c := range db.Pool.AcquireAllIdle(context.Background()) {
		if st := c.Conn().PgConn().TxStatus(); st != 'I' {
			t.Errorf("a pooled connection is in transaction state %q", st)
		}
		c.Release()
	}
}

// BenchmarkListTransaction compares the list shape (one list query and one
// deferred audit insert, as list_tasks does) in both transaction kinds.
func BenchmarkListTransaction(b *testing.B) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	store := postgres.NewTasks(testKeys(b))
	log := testAuditLog(b)
	user := uuid.New()
	err = db.InUserTx(ctx, user, func(tx postgres.Querier) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, user, user.String()+"@example.test"); err != nil {
			return err
		}
		for i := range 25 {
			if _, err := store.Create(ctx, tx, task.NewTask{Title: "bench task", Notes: "notes", Tags: []string{"t" + string(rune('a'+i%5))}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	f := task.Filter{Limit: 25}
	if err := f.Normalize(); err != nil {
		b.Fatal(err)
	}
	event := audit.Event{Type: "bench.list", Outcome: audit.OutcomeSuccess, ActorID: user}
	b.Run("InUserTx", func(b *testing.B) {
		for b.Loop() {
			err := db.InUserTx(ctx, user, func(tx postgres.Querier) error {
				if _, _, err := store.List(ctx, tx, f, nil); err != nil {
					return err
				}
				return log.Append(ctx, tx, event)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InUserPipeline", func(b *testing.B) {
		for b.Loop() {
			err := db.InUserPipeline(ctx, user, func(tx *postgres.PipelineTx) error {
				if _, _, err := store.List(ctx, tx, f, nil); err != nil {
					return err
				}
				return log.Append(ctx, tx.Deferred(), event)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
