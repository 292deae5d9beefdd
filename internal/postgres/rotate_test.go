package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

func mustKeyring(t *testing.T, spec string) *keyring.Keyring {
	t.Helper()
	k, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ownerConn makes a fresh database whose tables belong to a role that, like
// the production owner, is neither superuser nor BYPASSRLS (so forced RLS
// applies to it), and connects as that role.
func ownerConn(t *testing.T) (db *postgres.DB, owner *pgx.Conn, adminURL string) {
	t.Helper()
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser TEST_DATABASE_URL to create an owner role")
	}
	ctx := context.Background()
	fresh := tdb.NewMigrated(t)
	admin := fresh.Admin(t)
	role := "tb_rot_" + uuid.NewString()[:8]
	stmts := []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'rotation-test' NOSUPERUSER NOBYPASSRLS`, role),
		fmt.Sprintf(`GRANT CONNECT ON DATABASE %s TO %s`, pgx.Identifier{fresh.Name}.Sanitize(), role),
		fmt.Sprintf(`ALTER TABLE tasks OWNER TO %s`, role),
	}
	for _, s := range stmts {
		if _, err := admin.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), fresh.AdminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`ALTER TABLE tasks OWNER TO CURRENT_USER; REVOKE ALL ON DATABASE %s FROM %s; DROP ROLE IF EXISTS %s`, pgx.Identifier{fresh.Name}.Sanitize(), role, role))
	})
	u, err := url.Parse(fresh.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "rotation-test")
	owner, err = pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Close(context.Background()) })
	db, err = postgres.Open(ctx, fresh.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, owner, fresh.AdminURL
}

func TestKeyRotationReencryptsEveryNoteUnderTheNewKey(t *testing.T) {
	ctx := context.Background()
	db, owner, adminURL := ownerConn(t)
	k1, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := keyring.Generate("k2")
	if err != nil {
		t.Fatal(err)
	}
	old := postgres.NewTasks(mustKeyring(t, k1))
	notes := map[uuid.UUID]string{}
	var users []uuid.UUID
	for u := range 3 {
		user := newUser(t, db)
		users = append(users, user)
		for i := range 4 {
			err := db.InUserTx(ctx, user, func(tx postgres.Querier) error {
				in := task.NewTask{Title: fmt.Sprintf("task %d-%d", u, i)}
				if i > 0 { // one task per user has no notes at all
					in.Notes = fmt.Sprintf("notes of user %d task %d", u, i)
				}
				created, err := old.Create(ctx, tx, in)
				notes[created.ID] = in.Notes
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var updatedBefore time.Time
	if err := admin.QueryRow(ctx, `SELECT max(updated_at) FROM tasks`).Scan(&updatedBefore); err != nil {
		t.Fatal(err)
	}

	// The runtime role cannot borrow the rotation policy.
	err = db.InSystemTx(ctx, func(tx postgres.Querier) error {
		var n int
		if _, err := tx.Exec(ctx, `SELECT set_config('taskbridge.key_rotation', 'on', true)`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("the runtime role saw %d tasks with the rotation setting on", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := pgx.Connect(ctx, tdb.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(ctx)
	if _, err := postgres.RotateNotes(ctx, app, mustKeyring(t, k2+","+k1), postgres.RotateOptions{}); !errors.Is(err, postgres.ErrNotOwner) {
		t.Fatalf("rotation as a non-owner: %v", err)
	}

	var progress []int64
	res, err := postgres.RotateNotes(ctx, owner, mustKeyring(t, k2+","+k1), postgres.RotateOptions{Batch: 4,
		Progress: func(done, _ int64) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resealed != 9 || res.Remaining != 0 || len(progress) < 3 {
		t.Fatalf("rotation: %+v, progress %v", res, progress)
	}
	var underK1, underK2 int
	var updatedAfter time.Time
	if err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE notes_key_id = 'k1'), count(*) FILTER (WHERE notes_key_id = 'k2'), max(updated_at) FROM tasks`).Scan(&underK1, &underK2, &updatedAfter); err != nil {
		t.Fatal(err)
	}
	if underK1 != 0 || underK2 != 9 || !updatedAfter.Equal(updatedBefore) {
		t.Fatalf("k1 %d, k2 %d, updated_at moved: %v", underK1, underK2, !updatedAfter.Equal(updatedBefore))
	}

	// The old key can go: the new key alone reads every note, intact.
	onlyNew := postgres.NewTasks(mustKeyring(t, k2))
	seen := 0
	for _, user := range users {
		err := db.InUserTx(ctx, user, func(tx postgres.Querier) error {
			list, _, err := onlyNew.List(ctx, tx, task.Filter{Limit: 50}, nil)
			for _, got := range list {
				seen++
				if got.Notes != notes[got.ID] {
					t.Errorf("task %s: notes %q, want %q", got.ID, got.Notes, notes[got.ID])
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen != 12 {
		t.Fatalf("read %d tasks, want 12", seen)
	}

	// A second run has nothing to do.
	if res, err := postgres.RotateNotes(ctx, owner, mustKeyring(t, k2+","+k1), postgres.RotateOptions{}); err != nil || res.Resealed != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
}
