package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// Two creates of one user racing for the last free place (I8): the
// second must wait for the first to commit and then be refused, not count
// under its own snapshot and overshoot. The first create is held open
// inside its transaction; the second runs through the pipelined
// transaction every tool call uses. The test waits until the second is
// either finished or waiting on a lock, then lets the first commit.
func TestConcurrentCreatesCannotPassTheTaskLimit(t *testing.T) {
	tdb.Reset(t)
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t)).WithMaxPerUser(2)
	owner := newUser(t, db)
	createTask(t, db, store, owner, "first")

	created, release, firstDone := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
			_, err := store.Create(ctx, tx, task.NewTask{Title: "second"})
			created <- err
			<-release
			return err
		})
	}()
	if err := <-created; err != nil {
		close(release)
		t.Fatalf("the create that fills the account: %v", err)
	}
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- db.InUserPipeline(ctx, owner, func(tx *postgres.PipelineTx) error {
			_, err := store.Create(ctx, tx, task.NewTask{Title: "one too many"})
			return err
		})
	}()

	admin := tdb.Admin(t)
	var second error
	finished := false
	for !finished && !waitsOnALock(t, admin) {
		select {
		case second = <-secondDone:
			finished = true // without waiting: the checks below decide
		case <-time.After(5 * time.Millisecond): // polling for the state, not timing it
		}
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if !finished {
		second = <-secondDone
	}

	var limit *task.LimitError
	if !errors.As(second, &limit) || limit.Stored != 2 || limit.Max != 2 {
		t.Errorf("the racing create got %v, want the limit error for 2 of 2 stored", second)
	}
	var stored int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE owner_id = $1`, owner).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 2 {
		t.Errorf("the user stores %d tasks, the limit is 2", stored)
	}
}

// waitsOnALock reports whether a session of the test database waits for a
// lock.
func waitsOnALock(t *testing.T, admin *pgx.Conn) bool {
	t.Helper()
	var waiting bool
	if err := admin.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	return waiting
}
