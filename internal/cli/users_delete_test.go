package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// deleteFixture is a database of its own (the admin-event counts of other
// tests stay untouched) with the server's pool and an OAuth server whose
// bearer check has no cache, so a revoked token fails on the next request.
type deleteFixture struct {
	t      *testing.T
	cfg    *config.Config
	db     *testdb.Database
	env    map[string]string
	pool   *postgres.DB
	keys   *keyring.Keyring
	oauth  *oauth.Server
	client string
}

func newDeleteFixture(t *testing.T) *deleteFixture {
	t.Helper()
	db := tdb.NewMigrated(t)
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL, "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL}
	cfg, err := config.Load(envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool, err := postgres.Open(ctx, db.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	spec, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	srv := oauth.New(cfg, pool, keys, nil, postgres.NewAuditLog(auditKeys), slog.New(slog.DiscardHandler), oauth.WithTokenCacheTTL(0))
	client, err := srv.NewDirectClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &deleteFixture{t: t, cfg: cfg, db: db, env: env, pool: pool, keys: keys, oauth: srv, client: client}
}

func (f *deleteFixture) run(stdin string, args ...string) (stdout string, err error) {
	f.t.Helper()
	var out, errOut bytes.Buffer
	err = cli.Run(context.Background(), cli.Env{
		Args: args, Getenv: envFrom(f.env), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
	})
	return out.String(), err
}

// newUser creates an account through `users create` and gives it a row in
// every user-keyed table: a task with sealed notes, an OAuth grant with its
// consent record, token family and access token (returned), a used code, a
// pending authorization, a session, a privacy consent, a failed-login
// counter and a pending deletion request.
func (f *deleteFixture) newUser(email string) (uuid.UUID, string) {
	f.t.Helper()
	ctx := context.Background()
	if _, err := f.run("plum kettle orbit 42\n", "users", "create", "--email", email); err != nil {
		f.t.Fatalf("users create: %v", err)
	}
	a := f.db.Admin(f.t)
	var id uuid.UUID
	if err := a.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	err := f.pool.InUserTx(ctx, id, func(tx postgres.Querier) error {
		_, err := postgres.NewTasks(f.keys).Create(ctx, tx, task.NewTask{Title: "Buy milk", Notes: "the secret note"})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	tok, err := f.oauth.IssueDirect(ctx, f.client, id, []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite})
	if err != nil {
		f.t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		f.t.Helper()
		if _, err := a.Exec(ctx, sql, args...); err != nil {
			f.t.Fatalf("%s: %v", sql, err)
		}
	}
	resource := f.cfg.MCPResourceURL()
	exec(`INSERT INTO oauth_codes (code_hash, grant_id, user_id, client_id, redirect_uri, code_challenge, resource, scopes, created_at, expires_at, used_at, family_id)
		SELECT $1, grant_id, user_id, client_id, 'http://127.0.0.1/taskbridge-direct', 'challenge', $2, '{tasks.read}', now(), now() + interval '1 minute', now(), id
		FROM oauth_token_families WHERE user_id = $3`, digest(uuid.NewString()), resource, id)
	exec(`INSERT INTO oauth_authorization_requests (token_hash, user_id, client_id, redirect_uri, scopes, state, code_challenge, resource, created_at, expires_at)
		VALUES ($1, $2, $3, 'http://127.0.0.1/taskbridge-direct', '{tasks.read}', 'state', 'challenge', $4, now(), now() + interval '10 minutes')`,
		digest(uuid.NewString()), id, f.client, resource)
	exec(`INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, csrf_secret)
		VALUES ($1, $2, now(), now(), now() + interval '1 day', $3)`, digest(uuid.NewString()), id, digest(uuid.NewString()))
	exec(`INSERT INTO consents (user_id, document, version, accepted_at) VALUES ($1, 'privacy_policy', '1', now())`, id)
	exec(`INSERT INTO login_throttle (scope, subject, failures, last_failure_at) VALUES ('account', $1, 1, now())`, digest("account\x00"+email))
	exec(`INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via) VALUES ($1, now(), now() + interval '1 day', 'api')`, id)
	for tbl, n := range f.userRows(id) {
		if n == 0 {
			f.t.Fatalf("fixture gap: table %s has no row of the user; extend newUser so users delete is tested on it", tbl)
		}
	}
	return id, tok.AccessToken
}

// userRows counts id's rows in users and in every table with a user_id or
// owner_id column: everything an erasure must empty.
func (f *deleteFixture) userRows(id uuid.UUID) map[string]int {
	f.t.Helper()
	ctx := context.Background()
	a := f.db.Admin(f.t)
	rows, err := a.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN pg_tables p ON p.schemaname = c.table_schema AND p.tablename = c.table_name
		WHERE c.table_schema = 'public' AND c.column_name IN ('user_id', 'owner_id')`)
	if err != nil {
		f.t.Fatal(err)
	}
	tables := map[string]string{"users": "id"}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			f.t.Fatal(err)
		}
		tables[tbl] = col
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for tbl, col := range tables {
		var n int
		q := `SELECT count(*) FROM ` + pgx.Identifier{tbl}.Sanitize() + ` WHERE ` + pgx.Identifier{col}.Sanitize() + ` = $1`
		if err := a.QueryRow(ctx, q, id).Scan(&n); err != nil {
			f.t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

// traces lists the tables of schema public with a row whose text form
// (every column) contains needle.
func (f *deleteFixture) traces(needle string) []string {
	f.t.Helper()
	ctx := context.Background()
	a := f.db.Admin(f.t)
	rows, err := a.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		f.t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		f.t.Fatal(err)
	}
	var found []string
	for _, tbl := range tables {
		var n int
		q := `SELECT count(*) FROM ` + pgx.Identifier{tbl}.Sanitize() + ` x WHERE strpos(lower(x::text), lower($1)) > 0`
		if err := a.QueryRow(ctx, q, needle).Scan(&n); err != nil {
			f.t.Fatalf("%s: %v", tbl, err)
		}
		if n > 0 {
			found = append(found, tbl)
		}
	}
	return found
}

// bearerStatus is the status the MCP endpoint's bearer check gives tok.
func (f *deleteFixture) bearerStatus(tok string) int {
	h := f.oauth.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func (f *deleteFixture) auditCount(where string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Admin(f.t).QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE `+where, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// The operator's erasure (D4) for a user who cannot sign in: afterwards no
// table holds a row of the user, their id or their email; their token gets
// 401 on the next request; the erasure is audited as privacy.erase (via
// cli) and as the admin event admin.user_delete, linked by one request id,
// neither holding the email; another user is untouched.
func TestUsersDeleteErasesEverythingOfTheUser(t *testing.T) {
	f := newDeleteFixture(t)
	victim, tok := f.newUser("gone@example.test")
	other, otherTok := f.newUser("stays@example.test")
	if got := f.bearerStatus(tok); got != http.StatusNoContent {
		t.Fatalf("the user's token before the erasure: %d", got)
	}
	otherBefore := f.userRows(other)

	out, err := f.run("", "users", "delete", "--email", " Gone@Example.test ", "--yes")
	if err != nil {
		t.Fatalf("users delete: %v", err)
	}
	if !strings.Contains(out, "erased account <gone@example.test>") || !strings.Contains(out, "tasks 1") {
		t.Errorf("output %q", out)
	}
	for tbl, n := range f.userRows(victim) {
		if n != 0 {
			t.Errorf("%s still has %d rows of the erased user", tbl, n)
		}
	}
	for what, needle := range map[string]string{"user id": victim.String(), "email": "gone@example.test"} {
		if found := f.traces(needle); len(found) > 0 {
			t.Errorf("after users delete the %s is still in %v", what, found)
		}
	}
	if got := f.bearerStatus(tok); got != http.StatusUnauthorized {
		t.Errorf("the erased user's token: %d, want 401", got)
	}
	if got := f.bearerStatus(otherTok); got != http.StatusNoContent {
		t.Errorf("the other user's token: %d", got)
	}
	for tbl, n := range f.userRows(other) {
		if n != otherBefore[tbl] {
			t.Errorf("the other user's %s: %d rows, had %d", tbl, n, otherBefore[tbl])
		}
	}
	if n := f.auditCount(`event_type = 'admin.user_delete' AND outcome = 'success' AND actor IS NULL AND detail->>'via' = 'cli' AND (detail->>'tasks')::int = 1
		AND request_id IN (SELECT request_id FROM audit_events WHERE event_type = 'privacy.erase' AND detail->>'via' = 'cli')`); n != 1 {
		t.Errorf("admin.user_delete events linked to a privacy.erase via cli: %d, want 1", n)
	}
	if found := f.traces("gone@example.test"); len(found) > 0 {
		t.Errorf("the email is in %v", found)
	}

	if _, err := f.run("", "users", "delete", "--email", "gone@example.test", "--yes"); err == nil || !strings.Contains(err.Error(), "no account has that email address") {
		t.Errorf("second users delete: %v", err)
	}
}

// A mistyped address erases nothing and says why; the attempt is audited.
func TestUsersDeleteUnknownEmailDeletesNothing(t *testing.T) {
	f := newDeleteFixture(t)
	user, tok := f.newUser("kept@example.test")
	before := f.userRows(user)
	_, err := f.run("", "users", "delete", "--email", "kept@example.tst", "--yes")
	if err == nil || !strings.Contains(err.Error(), "no account has that email address") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("unknown email: %v", err)
	}
	for tbl, n := range f.userRows(user) {
		if n != before[tbl] {
			t.Errorf("%s: %d rows, had %d", tbl, n, before[tbl])
		}
	}
	if got := f.bearerStatus(tok); got != http.StatusNoContent {
		t.Errorf("the user's token after a failed users delete: %d", got)
	}
	if n := f.auditCount(`event_type = 'admin.user_delete' AND outcome = 'failure'`); n != 1 {
		t.Errorf("admin.user_delete failure events: %d, want 1", n)
	}
	if n := f.auditCount(`event_type = 'privacy.erase'`); n != 0 {
		t.Errorf("privacy.erase events: %d, want 0", n)
	}
}

// Without a terminal to type the address into, --yes is the confirmation;
// without it the command refuses before touching anything.
func TestUsersDeleteWithoutATerminalNeedsYes(t *testing.T) {
	f := newDeleteFixture(t)
	user, tok := f.newUser("careful@example.test")
	before := f.userRows(user)
	// Even the address typed on stdin is no confirmation when stdin is not a terminal.
	_, err := f.run("careful@example.test\n", "users", "delete", "--email", "careful@example.test")
	if !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "--yes") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("users delete without --yes on a pipe: %v", err)
	}
	for tbl, n := range f.userRows(user) {
		if n != before[tbl] {
			t.Errorf("%s: %d rows, had %d", tbl, n, before[tbl])
		}
	}
	if got := f.bearerStatus(tok); got != http.StatusNoContent {
		t.Errorf("the user's token after a refused users delete: %d", got)
	}
	if n := f.auditCount(`event_type IN ('admin.user_delete', 'privacy.erase')`); n != 0 {
		t.Errorf("a refused users delete left %d erasure events", n)
	}
	for _, bad := range [][]string{{"users", "delete"}, {"users", "delete", "--email", "a@example.test", "extra"}, {"users", "delete", "--email"}} {
		if _, err := f.run("", bad...); !errors.Is(err, cli.ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", bad, err)
		}
	}
}
