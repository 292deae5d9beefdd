package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// TestListQueryUsesTheOwnerIndex: the list statement (every filter shape
// list_tasks, search and the board use) must be able to use the
// (owner_id, created_at, id) index under row-level security, so its cost
// grows with the user's own tasks, not with the whole table. Sequential
// scans are switched off for the check, so the plan shows whether the
// index is usable at all, whatever the table's size. Without the explicit
// owner condition in listQuery the permissive policies' OR hides it.
func TestListQueryUsesTheOwnerIndex(t *testing.T) {
	db := openDB(t)
	user := newUser(t, db)
	ctx := context.Background()
	for _, f := range []task.Filter{{}, {Query: "milk"}, {Tag: "home", Status: task.StatusOpen}, {View: task.ViewTrash}} {
		if err := f.Normalize(); err != nil {
			t.Fatal(err)
		}
		sql, args, _ := postgres.ListQuery(f, nil)
		var plan []string
		err := db.InUserTx(ctx, user, func(tx postgres.Querier) error {
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `EXPLAIN `+sql, args...)
			if err != nil {
				return err
			}
			plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "Index Cond: (owner_id =") {
			t.Errorf("filter %+v: the list query cannot use an owner index under RLS:\n%s", f, text)
		}
	}
}
