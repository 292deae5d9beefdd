package privacy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

type countMetrics struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *countMetrics) RetentionDeleted(kind string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[kind] += n
}

func (e *env) retention(db *postgres.DB, p privacy.Periods, batch int) (*privacy.Retention, *countMetrics) {
	e.t.Helper()
	m := &countMetrics{m: map[string]int{}}
	r, err := privacy.NewRetention(privacy.RetentionOptions{DB: db, Periods: p, Batch: batch, OAuth: e.oauth.Store(),
		Audit: e.auditLog, Metrics: m})
	if err != nil {
		e.t.Fatal(err)
	}
	return r, m
}

// setTask moves a task's timestamps as the admin (the clock of the data).
func (e *env) setTask(id uuid.UUID, sql string, args ...any) {
	e.t.Helper()
	if _, err := e.admin().Exec(context.Background(), `UPDATE tasks SET `+sql+` WHERE id = $1`, append([]any{id}, args...)...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) taskExists(id uuid.UUID) bool {
	e.t.Helper()
	var n int
	if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM tasks WHERE id = $1`, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// A pass removes exactly the rows past their period (D3, catalogue item 24), with
// the clock injected: a trashed task one second past the period goes, one
// second short of it stays; the same for completed tasks when that period
// is on, and for sessions, failed-login counters and deletion requests. It
// works across users (row-level security hides them from the server role,
// so this goes through the SECURITY DEFINER functions), in batches, and
// leaves an audit record and metrics with the counts.
func TestRetentionRemovesExactlyWhatIsPastItsPeriod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	trash, done := 30*24*time.Hour, 90*24*time.Hour
	alice, _ := e.newUser("alice")
	bob, _ := e.newUser("bob")

	type want struct {
		id   uuid.UUID
		gone bool
	}
	var tasks []want
	for _, u := range []uuid.UUID{alice, bob} {
		for i := 0; i < 3; i++ { // three past the period per user: more than one batch of 2
			t1 := e.createTask(u, "old trash", "")
			e.setTask(t1.ID, `deleted_at = $2`, now.Add(-trash-time.Second))
			tasks = append(tasks, want{t1.ID, true})
		}
		young := e.createTask(u, "young trash", "")
		e.setTask(young.ID, `deleted_at = $2`, now.Add(-trash+time.Second))
		oldDone := e.createTask(u, "old done", "")
		e.setTask(oldDone.ID, `status = 'done', completed_at = $2`, now.Add(-done-time.Second))
		youngDone := e.createTask(u, "young done", "")
		e.setTask(youngDone.ID, `status = 'done', completed_at = $2`, now.Add(-done+time.Second))
		live := e.createTask(u, "live and ancient", "")
		e.setTask(live.ID, `created_at = $2, updated_at = $2`, now.Add(-10*365*24*time.Hour))
		tasks = append(tasks, want{young.ID, false}, want{oldDone.ID, true}, want{youngDone.ID, false}, want{live.ID, false})
	}
	a := e.admin()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := a.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	idle := 30 * time.Minute
	for i, last := range []time.Time{now.Add(-idle - time.Second), now.Add(-idle + time.Second)} {
		exec(`INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, csrf_secret) VALUES ($1, $2, $3, $3, $4, $5)`,
			sha(uuid.NewString()), alice, last, now.Add(time.Hour), sha("csrf"+string(rune('a'+i))))
	}
	forget := privacy.LoginThrottleRetention()
	for _, last := range []time.Time{now.Add(-forget - time.Second), now.Add(-forget + time.Second)} {
		exec(`INSERT INTO login_throttle (scope, subject, failures, last_failure_at) VALUES ('ip', $1, 1, $2)`, sha(uuid.NewString()), last)
	}
	exec(`INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via) VALUES ($1, $2, $3, 'api')`,
		alice, now.Add(-25*time.Hour), now.Add(-time.Second))
	exec(`INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via) VALUES ($1, $2, $3, 'api')`,
		bob, now.Add(-23*time.Hour), now.Add(time.Second))

	r, m := e.retention(e.db, privacy.Periods{Trash: trash, Completed: done, SessionIdle: idle}, 2)
	rep, err := r.Run(ctx, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ran {
		t.Fatal("the pass did not run")
	}
	for i, w := range tasks {
		if gone := !e.taskExists(w.id); gone != w.gone {
			t.Errorf("task %d: gone = %v, want %v", i, gone, w.gone)
		}
	}
	wantCounts := map[string]int64{privacy.KindTrashedTasks: 6, privacy.KindCompletedTasks: 2, privacy.KindSessions: 1,
		privacy.KindLoginThrottle: 1, privacy.KindDeletionRequests: 1}
	for k, n := range wantCounts {
		if rep.Removed[k] != n {
			t.Errorf("removed %s = %d, want %d", k, rep.Removed[k], n)
		}
		if m.m[k] != int(n) {
			t.Errorf("metric %s = %d, want %d", k, m.m[k], n)
		}
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := a.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM sessions WHERE user_id = $1`, alice); n != 1 {
		t.Errorf("sessions left = %d, want 1", n)
	}
	if n := count(`SELECT count(*) FROM login_throttle`); n != 1 {
		t.Errorf("throttle rows left = %d, want 1", n)
	}
	if n := count(`SELECT count(*) FROM account_deletion_requests`); n != 1 {
		t.Errorf("deletion requests left = %d, want 1 (bob's, not yet expired)", n)
	}
	var detail map[string]any
	if err := a.QueryRow(ctx, `SELECT detail FROM audit_events WHERE event_type = 'retention.pass' ORDER BY id DESC LIMIT 1`).Scan(&detail); err != nil {
		t.Fatalf("no retention.pass audit record: %v", err)
	}
	if removed, _ := detail["removed"].(map[string]any); removed[privacy.KindTrashedTasks] != float64(6) {
		t.Errorf("audit detail = %v", detail)
	}
	// Completed-task retention off (the default): nothing completed goes.
	old := e.createTask(alice, "done long ago", "")
	e.setTask(old.ID, `status = 'done', completed_at = $2`, now.Add(-3650*24*time.Hour))
	r2, _ := e.retention(e.db, privacy.Periods{Trash: trash}, 1000)
	if _, err := r2.Run(ctx, now, nil); err != nil {
		t.Fatal(err)
	}
	if !e.taskExists(old.ID) {
		t.Error("with completed-task retention off, a completed task was deleted")
	}
}

// Only one runner does a pass at a time (pg_try_advisory_lock): two
// runners on separate pools (two replicas), the first held inside its pass
// until the second has returned; the second does nothing.
func TestRetentionRunsOnOneReplicaAtATime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	u, _ := e.newUser("lock")
	old := e.createTask(u, "old trash", "")
	e.setTask(old.ID, `deleted_at = $2`, now.Add(-40*24*time.Hour))

	other, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	first, _ := e.retention(e.db, privacy.Periods{Trash: 30 * 24 * time.Hour}, 1000)
	second, _ := e.retention(other, privacy.Periods{Trash: 30 * 24 * time.Hour}, 1000)
	inside, release := make(chan struct{}), make(chan struct{})
	privacy.SetAfterLock(first, func() { close(inside); <-release })

	var firstRep privacy.PassReport
	var firstErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		firstRep, firstErr = first.Run(ctx, now, nil)
	}()
	<-inside
	secondRep, err := second.Run(ctx, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secondRep.Ran || secondRep.Total() != 0 {
		t.Errorf("second runner: ran=%v removed=%d while the first held the lock", secondRep.Ran, secondRep.Total())
	}
	if !e.taskExists(old.ID) {
		t.Error("the task went while the first runner was paused: the second one worked")
	}
	close(release)
	<-done
	if firstErr != nil || !firstRep.Ran || firstRep.Removed[privacy.KindTrashedTasks] != 1 {
		t.Errorf("first runner: %+v, %v", firstRep, firstErr)
	}
	// The lock is released: a later pass runs.
	if rep, err := second.Run(ctx, now, nil); err != nil || !rep.Ran {
		t.Errorf("after release: %+v, %v", rep, err)
	}
}

// The purge functions are narrow doors: the server role cannot pass a
// clock ahead of the database's or a period under a day to delete live
// data, and without them it cannot delete other users' tasks at all.
func TestRetentionFunctionsRefuseToWidenThemselves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, email := e.newUser("narrow")
	e.mustLogin(e.browser(), email) // a live session the session purge must not reach
	tk := e.createTask(u, "trashed just now", "")
	e.setTask(tk.ID, `deleted_at = now()`)
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"future clock":           {`SELECT privacy_purge_trashed_tasks($1, $2, 100)`, []any{time.Now().Add(48 * time.Hour), 24 * time.Hour}},
		"short period":           {`SELECT privacy_purge_trashed_tasks($1, $2, 100)`, []any{time.Now(), time.Hour}},
		"huge batch":             {`SELECT privacy_purge_trashed_tasks($1, $2, 100000)`, []any{time.Now(), 24 * time.Hour}},
		"completed":              {`SELECT privacy_purge_completed_tasks($1, $2, 100)`, []any{time.Now().Add(48 * time.Hour), 24 * time.Hour}},
		"sessions, future clock": {`SELECT account_purge_expired_sessions($1, $2, 100)`, []any{time.Now().Add(48 * time.Hour), 30 * time.Minute}},
		"sessions, no idle time": {`SELECT account_purge_expired_sessions($1, $2, 100)`, []any{time.Now(), time.Duration(0)}},
		"sessions, huge batch":   {`SELECT account_purge_expired_sessions($1, $2, 100000)`, []any{time.Now(), 30 * time.Minute}},
	} {
		err := e.db.InSystemTx(ctx, func(tx postgres.Querier) error {
			var n int64
			return tx.QueryRow(ctx, q.sql, q.args...).Scan(&n)
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	err := e.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tasks WHERE id = $1`, tk.ID)
		if err == nil && tag.RowsAffected() != 0 {
			t.Error("the server role deleted a task with no user identity")
		}
		return err
	})
	if err != nil && !strings.Contains(err.Error(), "permission") {
		t.Fatal(err)
	}
	if !e.taskExists(tk.ID) {
		t.Error("the task is gone")
	}
	var sessions int
	if err := e.admin().QueryRow(ctx, `SELECT count(*) FROM sessions WHERE user_id = $1`, u).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("the live session is gone: %d sessions (%v)", sessions, err)
	}
}
