package postgres_test

import (
	"context"
	"testing"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// A list call's page and totals come back as List and the counts read
// them, in the transaction's first round trip, and the call with its audit
// row costs two round trips (opening, page and totals; audit row and
// COMMIT). Sent after another statement, the pair still reads the same.
func TestListWithCountsInOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, writes := openCounted(t)
	store := postgres.NewTasks(testKeys(t))
	log := testAuditLog(t)
	alice, bob := newUser(t, db), newUser(t, db)
	createTask(t, db, store, bob, "bob's")
	for _, title := range []string{"one", "two", "three"} {
		createTask(t, db, store, alice, title)
	}
	done, trashed := createTask(t, db, store, alice, "done"), createTask(t, db, store, alice, "trashed")
	err := db.InUserTx(ctx, alice, func(tx postgres.Querier) error {
		if _, err := store.SetStatus(ctx, tx, done.ID, task.StatusDone); err != nil {
			return err
		}
		_, err := store.Trash(ctx, tx, trashed.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := task.Filter{Limit: 3}
	if err := f.Normalize(); err != nil {
		t.Fatal(err)
	}
	check := func(name string, p postgres.TaskPage) {
		t.Helper()
		if len(p.Tasks) != 3 || !p.More || p.Tasks[0].Title != "done" || p.Tasks[2].Title != "two" {
			t.Errorf("%s: page %+v, more %v", name, p.Tasks, p.More)
		}
		if want := (postgres.TaskCounts{Open: 3, Done: 1, Trash: 1}); p.Counts != want {
			t.Errorf("%s: counts %+v, want %+v", name, p.Counts, want)
		}
	}
	event := audit.Event{Type: "test.roundtrips", Outcome: audit.OutcomeSuccess, ActorID: alice}
	call := func() error {
		return db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
			p, err := store.ListWithCounts(ctx, tx, f, nil)
			if err != nil {
				return err
			}
			check("first statements", p)
			return log.Append(ctx, tx.Deferred(), event)
		})
	}
	if err := call(); err != nil { // prepares the statements on the connection
		t.Fatal(err)
	}
	writes.Store(0)
	if err := call(); err != nil {
		t.Fatal(err)
	}
	if got := writes.Load(); got != 2 {
		t.Errorf("list, counts and audit row: %d round trips, want 2", got)
	}
	err = db.InUserPipeline(ctx, alice, func(tx *postgres.PipelineTx) error {
		if _, err := store.Get(ctx, tx, done.ID); err != nil {
			return err
		}
		p, err := store.ListWithCounts(ctx, tx, f, nil)
		if err != nil {
			return err
		}
		check("after a statement", p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
