package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// List scans every row through one set of destinations: a row without
// notes, due date, tags or completion listed after one with all of them
// must come out as Get reads it alone, sharing nothing with the row
// before.
func TestListReadsEachRowAsGetDoes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	owner := newUser(t, db)
	due := task.DateOf(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC))
	err := db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
		if _, err := store.Create(ctx, tx, task.NewTask{Title: "bare"}); err != nil {
			return err
		}
		full, err := store.Create(ctx, tx, task.NewTask{Title: "full", Notes: "some notes", DueDate: &due, Tags: []string{"a", "b"}})
		if err != nil {
			return err
		}
		_, err = store.SetStatus(ctx, tx, full.ID, task.StatusDone)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
		f := task.Filter{}
		if err := f.Normalize(); err != nil {
			return err
		}
		list, _, err := store.List(ctx, tx, f, nil)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].Title != "full" || list[1].Title != "bare" {
			t.Fatalf("list: %+v", list)
		}
		for _, got := range list {
			want, err := store.Get(ctx, tx, got.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("listed %+v\nGet reads %+v", got, want)
			}
		}
		bare := list[1]
		if bare.Notes != "" || bare.DueDate != nil || len(bare.Tags) != 0 || bare.CompletedAt != nil {
			t.Errorf("the bare task took fields of the one before: %+v", bare)
		}
		if list[0].DueDate == nil || list[0].CompletedAt == nil || list[0].Notes != "some notes" || len(list[0].Tags) != 2 {
			t.Errorf("the full task lost fields: %+v", list[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A list's status, priority and notes key come out of each row as Get
// reads them, whatever the values of the rows before (a scan reuses the
// strings of values it has seen).
func TestListReadsMixedStatusesAndPriorities(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	owner := newUser(t, db)
	priorities := []task.Priority{task.PriorityHigh, task.PriorityLow, task.PriorityNormal}
	want := map[string]task.Task{}
	err := db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
		for i := range 7 {
			in := task.NewTask{Title: fmt.Sprintf("task %d", i), Priority: priorities[i%3]}
			if i%2 == 0 {
				in.Notes = fmt.Sprintf("notes %d", i)
			}
			tk, err := store.Create(ctx, tx, in)
			if err != nil {
				return err
			}
			if i%3 == 1 {
				if tk, err = store.SetStatus(ctx, tx, tk.ID, task.StatusDone); err != nil {
					return err
				}
			}
			want[tk.Title] = tk
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
		f := task.Filter{}
		if err := f.Normalize(); err != nil {
			return err
		}
		list, _, err := store.List(ctx, tx, f, nil)
		if err != nil {
			return err
		}
		if len(list) != len(want) {
			t.Fatalf("listed %d tasks, want %d", len(list), len(want))
		}
		for _, got := range list {
			w := want[got.Title]
			if got.Status != w.Status || got.Priority != w.Priority || got.Notes != w.Notes {
				t.Errorf("listed %s as %s/%s/%q, want %s/%s/%q", got.Title, got.Status, got.Priority, got.Notes, w.Status, w.Priority, w.Notes)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
