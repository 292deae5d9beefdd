package privacy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

// An app's token with tasks.read, which the consent page describes as
// "See your tasks", exports the tasks and nothing else of the account: no
// email, sessions, other connected apps, consent records, token metadata
// or audit events (P1, D5). The whole account is the account page's.
func TestAppExportHoldsOnlyTheTasks(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("scope")
	e.populate(id, email)
	readOnly, _ := e.grantFixture(id, "tasks.read")

	p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(readOnly))
	if p.status != http.StatusOK {
		t.Fatalf("GET /api/export: %d %s", p.status, p.body)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.body), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, p.body)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"exported_at", "format", "tasks"}; !slices.Equal(keys, want) {
		t.Errorf("the app's export has %v, want only %v", keys, want)
	}
	var format string
	_ = json.Unmarshal(doc["format"], &format)
	if format != privacy.TasksExportFormat {
		t.Errorf("format = %q, want %q", format, privacy.TasksExportFormat)
	}
	var tasks []struct{ Title, Notes string }
	if err := json.Unmarshal(doc["tasks"], &tasks); err != nil || len(tasks) != 2 {
		t.Fatalf("tasks = %+v (%v), want the user's two tasks", tasks, err)
	}
	if !strings.Contains(p.body, "two litres, the secret note") {
		t.Error("the task notes are not in the app's export")
	}
	for _, leak := range []string{email, id.String(), "Fixture app", "privacy.export", "browser", "last_seen_at", "client_id"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("the tasks.read export contains %q", leak)
		}
	}
}

// Every /api route is limited per connected app (I8): past the budget a
// grant gets 429 with Retry-After on all of them, while another grant of
// the same user keeps its own budget.
func TestAPIRoutesAreLimitedPerGrant(t *testing.T) {
	e := newEnvWith(t, map[string]string{"TASKBRIDGE_RATE_API_PER_MINUTE": "2", "TASKBRIDGE_EXPORTS_PER_HOUR": "100"})
	id, _ := e.newUser("apirate")
	e.createTask(id, "Water plants", "")
	tokA, _ := e.grantFixture(id, "tasks.read", "tasks.write")
	tokB, _ := e.grantFixture(id, "tasks.read")

	for i := range 2 {
		if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tokA)); p.status != http.StatusOK {
			t.Fatalf("export %d within the budget: %d %s", i+1, p.status, p.body)
		}
	}
	for _, req := range []struct{ method, path string }{{"GET", "/api/export"}, {"DELETE", "/api/account"}} {
		p := e.do(http.DefaultClient, req.method, req.path, nil, bearer(tokA))
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Errorf("%s %s past the grant's budget: %d (Retry-After %q), want 429 with Retry-After",
				req.method, req.path, p.status, p.header.Get("Retry-After"))
		}
	}
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tokB)); p.status != http.StatusOK {
		t.Errorf("another grant of the same user: %d, want 200 (its own budget)", p.status)
	}
}

// Exports cannot be used to exhaust the server (I8): one export of an
// account runs at a time, and a user gets ExportsPerHour exports an hour,
// account page and API together; another user is not affected.
func TestExportsPerUserAreBounded(t *testing.T) {
	e := newEnvWith(t, map[string]string{"TASKBRIDGE_EXPORTS_PER_HOUR": "2", "TASKBRIDGE_RATE_API_PER_MINUTE": "100"})
	ctx := context.Background()
	id, email := e.newUser("exportcap")
	e.createTask(id, "Water plants", "")
	tok, _ := e.grantFixture(id, "tasks.read")
	other, _ := e.newUser("exportcap-other")
	otherTok, _ := e.grantFixture(other, "tasks.read")

	c := e.browser()
	e.mustLogin(c, email)
	// Hold the first export inside the server: its audit insert waits
	// for this lock, so it is running while the second one arrives.
	a := e.admin()
	lockTx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockTx.Exec(ctx, `LOCK TABLE audit_events IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	first := make(chan page, 1)
	go func() { first <- e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tok)) }()
	waitForLockWaiter(t, e, "audit_events")
	p := e.do(c, "GET", "/account/export", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "already running") {
		t.Errorf("a second export while one runs: %d, want 429 saying one is running\n%s", p.status, p.body)
	}
	if err := lockTx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if p := <-first; p.status != http.StatusOK {
		t.Fatalf("the first export: %d %s", p.status, p.body)
	}

	if p := e.do(c, "GET", "/account/export", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); p.status != http.StatusOK {
		t.Fatalf("the second export of the hour: %d %s", p.status, p.body)
	}
	p = e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tok))
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Errorf("the third export of the hour: %d (Retry-After %q), want 429 with Retry-After", p.status, p.header.Get("Retry-After"))
	}
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(otherTok)); p.status != http.StatusOK {
		t.Errorf("another user's export: %d, want 200", p.status)
	}
}

// waitForLockWaiter waits until a session of this test's database waits
// for a lock on table.
func waitForLockWaiter(t *testing.T, e *env, table string) {
	t.Helper()
	a := e.admin()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := a.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE NOT l.granted AND c.relname = $1
				AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, table).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request came to wait for the lock on %s", table)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
