package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/cli"
)

// `taskbridge retention run` purges as the server role and audits the
// pass; `taskbridge users export --email` writes the user's JSON and
// audits it with via=cli.
func TestRetentionRunAndUsersExport(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL, "TASKBRIDGE_MIGRATE_DATABASE_URL": tdb.AdminURL}
	admin := tdb.Admin(t)
	user := uuid.New()
	email := "cli-" + user.String()[:8] + "@example.test"
	if _, err := admin.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, user, email); err != nil {
		t.Fatal(err)
	}
	var oldTask, liveTask uuid.UUID
	if err := admin.QueryRow(ctx, `INSERT INTO tasks (owner_id, title, deleted_at) VALUES ($1, 'old', now() - interval '31 days') RETURNING id`, user).Scan(&oldTask); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRow(ctx, `INSERT INTO tasks (owner_id, title) VALUES ($1, 'live') RETURNING id`, user).Scan(&liveTask); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := cli.Run(ctx, cli.Env{Args: []string{"retention", "run"}, Getenv: envFrom(env), Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("retention run: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "trashed_tasks") {
		t.Errorf("output %q", out.String())
	}
	var left []uuid.UUID
	rows, _ := admin.Query(ctx, `SELECT id FROM tasks WHERE owner_id = $1`, user)
	for rows.Next() {
		var id uuid.UUID
		_ = rows.Scan(&id)
		left = append(left, id)
	}
	if len(left) != 1 || left[0] != liveTask {
		t.Errorf("tasks left %v, want only the live one", left)
	}
	var passes int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE event_type = 'retention.pass'`).Scan(&passes); err != nil || passes == 0 {
		t.Errorf("retention.pass audit rows: %d (%v)", passes, err)
	}

	out.Reset()
	if err := cli.Run(ctx, cli.Env{Args: []string{"users", "export", "--email", strings.ToUpper(email)}, Getenv: envFrom(env), Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("users export: %v\n%s", err, errOut.String())
	}
	var doc struct {
		Account struct{ Email string }
		Tasks   []struct{ Title string }
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Account.Email != email || len(doc.Tasks) != 1 {
		t.Errorf("export = %s (%v)", out.String(), err)
	}
	var exports int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE event_type = 'privacy.export' AND detail->>'via' = 'cli'`).Scan(&exports); err != nil || exports != 1 {
		t.Errorf("privacy.export via cli audit rows: %d (%v)", exports, err)
	}
}
