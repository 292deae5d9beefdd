package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

func openDB(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func testKeys(t testing.TB) *keyring.Keyring {
	t.Helper()
	spec, err := keyring.Generate("test")
	if err != nil {
		t.Fatal(err)
	}
	k, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newUser inserts a user the way the account layer does: inside a
// transaction whose identity is the new user.
func newUser(t *testing.T, db *postgres.DB) uuid.UUID {
	t.Helper()
	id := uuid.New()
	err := db.InUserTx(context.Background(), id, func(tx postgres.Querier) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO users (id, email) VALUES ($1, $2)`, id, id.String()+"@example.test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createTask(t *testing.T, db *postgres.DB, store *postgres.Tasks, owner uuid.UUID, title string) task.Task {
	t.Helper()
	var out task.Task
	err := db.InUserTx(context.Background(), owner, func(tx postgres.Querier) error {
		var err error
		out, err = store.Create(context.Background(), tx, task.NewTask{Title: title, Notes: "private notes of " + title})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUserCannotReadUpdateOrDeleteAnotherUsersTaskEvenByID(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	alice, bob := newUser(t, db), newUser(t, db)
	secret := createTask(t, db, store, alice, "alice's secret")
	missing := uuid.New()

	// Bob's view of Alice's task must be indistinguishable from a missing id.
	for name, op := range map[string]func(tx postgres.Querier, id uuid.UUID) error{
		"get": func(tx postgres.Querier, id uuid.UUID) error { _, err := store.Get(ctx, tx, id); return err },
		"update": func(tx postgres.Querier, id uuid.UUID) error {
			t := "pwned"
			_, err := store.Update(ctx, tx, id, task.Patch{Title: &t})
			return err
		},
		"complete": func(tx postgres.Querier, id uuid.UUID) error {
			_, err := store.SetStatus(ctx, tx, id, task.StatusDone)
			return err
		},
		"trash":   func(tx postgres.Querier, id uuid.UUID) error { _, err := store.Trash(ctx, tx, id); return err },
		"restore": func(tx postgres.Querier, id uuid.UUID) error { _, err := store.Restore(ctx, tx, id); return err },
		"purge":   func(tx postgres.Querier, id uuid.UUID) error { return store.Purge(ctx, tx, id) },
	} {
		var errOther, errMissing error
		_ = db.InUserTx(ctx, bob, func(tx postgres.Querier) error { errOther = op(tx, secret.ID); return nil })
		_ = db.InUserTx(ctx, bob, func(tx postgres.Querier) error { errMissing = op(tx, missing); return nil })
		if !errors.Is(errOther, task.ErrNotFound) || !errors.Is(errMissing, task.ErrNotFound) {
			t.Errorf("%s: other user's task gave %v, missing id gave %v; both must be task.ErrNotFound", name, errOther, errMissing)
		}
		if errOther != nil && errMissing != nil && errOther.Error() != errMissing.Error() {
			t.Errorf("%s: errors differ (%q vs %q): the caller can tell the task exists", name, errOther, errMissing)
		}
	}

	// Raw SQL as Bob, bypassing the store: still nothing.
	err := db.InUserTx(ctx, bob, func(tx postgres.Querier) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("bob sees %d tasks with a raw SELECT", n)
		}
		tag, err := tx.Exec(ctx, `UPDATE tasks SET title = 'pwned'`)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("bob's raw UPDATE touched %d rows", tag.RowsAffected())
		}
		tag, err = tx.Exec(ctx, `DELETE FROM tasks`)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("bob's raw DELETE removed %d rows", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Alice's task is untouched.
	_ = db.InUserTx(ctx, alice, func(tx postgres.Querier) error {
		got, err := store.Get(ctx, tx, secret.ID)
		if err != nil || got.Title != "alice's secret" || got.InTrash() {
			t.Errorf("alice's task changed: %+v %v", got, err)
		}
		return nil
	})
}

func TestWithCheckRefusesWritingRowsForAnotherUser(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	alice, bob := newUser(t, db), newUser(t, db)
	err := db.InUserTx(ctx, bob, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO tasks (owner_id, title) VALUES ($1, 'planted')`, alice)
		return err
	})
	if !isPgCode(err, "42501") {
		t.Fatalf("inserting a task owned by another user: got %v, want an RLS violation (42501)", err)
	}
	store := postgres.NewTasks(testKeys(t))
	mine := createTask(t, db, store, bob, "bob's")
	err = db.InUserTx(ctx, bob, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `UPDATE tasks SET owner_id = $1 WHERE id = $2`, alice, mine.ID)
		return err
	})
	if !isPgCode(err, "42501") {
		t.Fatalf("giving a task away to another user: got %v, want an RLS violation", err)
	}
}

func TestWithoutUserSettingEveryQuerySeesZeroRows(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	createTask(t, db, store, newUser(t, db), "exists")
	var tasks, users int
	err := db.InSystemTx(ctx, func(tx postgres.Querier) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&tasks); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users)
	})
	if err != nil {
		t.Fatal(err)
	}
	if tasks != 0 || users != 0 {
		t.Fatalf("without app.user_id the runtime role saw %d tasks and %d users", tasks, users)
	}
	// Directly on the pool, outside any transaction helper.
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&tasks); err != nil || tasks != 0 {
		t.Fatalf("plain pool query saw %d tasks (%v)", tasks, err)
	}
}

func TestIdentityDoesNotLeakToTheNextTransactionOnAPooledConnection(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := postgres.NewTasks(testKeys(t))
	alice := newUser(t, db)
	createTask(t, db, store, alice, "a")
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the single pooled connection still carried alice's identity: saw %d tasks (%v)", n, err)
	}
}

func TestRuntimeRoleCannotAlterDropOrBypassRLS(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, stmt := range []string{
		`ALTER TABLE tasks DISABLE ROW LEVEL SECURITY`,
		`ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY`,
		`DROP POLICY tasks_owner ON tasks`,
		`DROP TABLE tasks`,
		`TRUNCATE tasks`,
		`SET row_security = off`,
		`CREATE TABLE sneaky (id int)`,
		`ALTER ROLE taskbridge_runtime BYPASSRLS`,
	} {
		err := db.InSystemTx(ctx, func(tx postgres.Querier) error {
			_, err := tx.Exec(ctx, stmt)
			if err == nil && strings.HasPrefix(stmt, "SET row_security") {
				// Allowed to set, but then any query that RLS would filter errors out.
				_, err = tx.Exec(ctx, `SELECT count(*) FROM tasks`)
			}
			return err
		})
		if err == nil {
			t.Errorf("runtime role could run %q", stmt)
		}
	}
	var forced, enabled bool
	admin := tdb.Admin(t)
	for _, table := range []string{"tasks", "users"} {
		if err := admin.QueryRow(ctx, `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1`, table).Scan(&enabled, &forced); err != nil {
			t.Fatal(err)
		}
		if !enabled || !forced {
			t.Errorf("%s: row security enabled=%v forced=%v; both must be on", table, enabled, forced)
		}
	}
	var super, bypass bool
	if err := admin.QueryRow(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'taskbridge_runtime'`).Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Errorf("taskbridge_runtime: superuser=%v bypassrls=%v", super, bypass)
	}
}

func TestOpenRefusesARoleThatBypassesRLS(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("TEST_DATABASE_URL's role is not a superuser; this test needs one")
	}
	// The admin URL is a superuser: SET ROLE drops to the runtime role, so
	// Open succeeds and the session acts with runtime privileges only.
	db, err := postgres.Open(context.Background(), tdb.AdminURL, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatalf("open as a superuser login that switches to the runtime role: %v", err)
	}
	defer db.Close()
	var role string
	if err := db.Pool.QueryRow(context.Background(), `SELECT current_user`).Scan(&role); err != nil || role != postgres.RuntimeRole {
		t.Fatalf("pooled connection acts as %q (%v), want %s", role, err, postgres.RuntimeRole)
	}
}

func TestNotesAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	store := postgres.NewTasks(testKeys(t))
	owner := newUser(t, db)
	tk := createTask(t, db, store, owner, "with notes")
	if !tdb.AdminIsSuperuser {
		t.Skip("reading past RLS needs a superuser admin")
	}
	var raw []byte
	var kid string
	if err := tdb.Admin(t).QueryRow(ctx, `SELECT notes_sealed, notes_key_id FROM tasks WHERE id = $1`, tk.ID).Scan(&raw, &kid); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "private notes") || kid != "test" {
		t.Fatalf("notes stored readable (%q) or under key %q", raw, kid)
	}
	err := db.InUserTx(ctx, owner, func(tx postgres.Querier) error {
		got, err := store.Get(ctx, tx, tk.ID)
		if err == nil && got.Notes != "private notes of with notes" {
			t.Errorf("notes decrypt to %q", got.Notes)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func isPgCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
