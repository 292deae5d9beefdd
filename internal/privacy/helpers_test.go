package privacy_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/internal/server"
	"github.com/taskbridge/taskbridge/internal/task"
	"github.com/taskbridge/taskbridge/internal/web"
)

const testPassword = "plum kettle orbit 42"

// env is a whole server (accounts, OAuth, MCP, privacy) on a loopback
// listener, over the test database as the runtime role.
type env struct {
	t        *testing.T
	url      string
	cfg      *config.Config
	db       *postgres.DB
	keys     *keyring.Keyring
	auditLog *postgres.AuditLog
	accounts *account.Service
	oauth    *oauth.Server
	privacy  *privacy.Service
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with configuration variables set (TASKBRIDGE_*).
func newEnvWith(t *testing.T, settings map[string]string) *env {
	t.Helper()
	tdb.Reset(t)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_PUBLIC_URL": base}
	for k, v := range settings {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	spec, _ := keyring.Generate("t1")
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: base, cfg: cfg, db: db, keys: keys, auditLog: postgres.NewAuditLog(auditKeys)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sessions, err := account.NewSessions(account.SessionOptions{DB: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if e.accounts, err = account.New(account.Options{DB: db, Sessions: sessions, Keys: keys, Audit: e.auditLog, Log: log,
		TrustedOrigins: []string{base}}); err != nil {
		t.Fatal(err)
	}
	e.oauth = oauth.New(cfg, db, keys, authn{e.accounts}, e.auditLog, log)
	if e.privacy, err = privacy.New(privacy.Options{DB: db, Keys: keys, Accounts: e.accounts, Consents: e.oauth, Tokens: e.oauth,
		Audit: e.auditLog, Log: log, PublicURL: base, PolicyMarkdown: taskbridge.PrivacyPolicy,
		ExportsPerHour: cfg.Privacy.ExportsPerHour}); err != nil {
		t.Fatal(err)
	}
	stateKey := make([]byte, 32)
	_, _ = rand.Read(stateKey)
	mcpHandler, err := mcpapi.NewHandler(mcpapi.Deps{DB: db, Tasks: postgres.NewTasks(keys), StateKey: stateKey, Log: log,
		Audit: e.auditLog, ResourceURL: cfg.MCPResourceURL(), PublicURL: base,
		ResourceMetadataURL: base + "/.well-known/oauth-protected-resource/mcp", AccountDeletion: e.privacy})
	if err != nil {
		t.Fatal(err)
	}
	taskPage, err := web.NewTaskPage(e.accounts, db.InUserTx, postgres.NewTasks(keys), log)
	if err != nil {
		t.Fatal(err)
	}
	h := server.NewServer(cfg, log, db.Ping, e.accounts, e.oauth, e.privacy, taskPage, mcpHandler)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

type authn struct{ a *account.Service }

func (a authn) CurrentUser(r *http.Request) (uuid.UUID, bool) {
	u, ok := a.a.CurrentUser(r)
	return u.ID, ok
}
func (authn) LoginURL(next string) string { return account.LoginURL(next) }

// newUser creates an account with testPassword and returns its id and email.
func (e *env) newUser(label string) (uuid.UUID, string) {
	e.t.Helper()
	email := label + "-" + strings.ReplaceAll(uuid.NewString()[:8], "-", "") + "@example.test"
	u, err := account.CreateUser(context.Background(), e.db, e.auditLog, email, testPassword, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, email
}

// browser is a client with a cookie jar that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, path string, form url.Values, hdr map[string]string) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.url)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token on the page (status %d):\n%s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

// login signs c in (or fails, with a wrong password) through the form.
func (e *env) login(c *http.Client, email, password string) page {
	e.t.Helper()
	tok := csrfOf(e.t, e.do(c, "GET", "/login", nil, nil))
	return e.do(c, "POST", "/login", url.Values{"csrf_token": {tok}, "email": {email}, "password": {password}}, nil)
}

func (e *env) mustLogin(c *http.Client, email string) {
	e.t.Helper()
	if p := e.login(c, email, testPassword); p.status != http.StatusSeeOther {
		e.t.Fatalf("login: status %d\n%s", p.status, p.body)
	}
}

func (e *env) admin() *pgx.Conn { return tdb.Admin(e.t) }

// grantFixture is an app connected to a user, straight in the tables: a
// client, an active grant with its consent record, a token family, an
// access token (returned in plain text), a refresh token, a used code and
// a pending authorization request.
func (e *env) grantFixture(userID uuid.UUID, scopes ...string) (accessToken string, grantID uuid.UUID) {
	e.t.Helper()
	ctx := context.Background()
	a := e.admin()
	clientID := "tbc_" + randomString()
	exec := func(sql string, args ...any) {
		e.t.Helper()
		if _, err := a.Exec(ctx, sql, args...); err != nil {
			e.t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types, token_endpoint_auth_method, created_at)
		VALUES ($1, 'dcr', 'Fixture app', '{https://app.example/cb}', '{authorization_code,refresh_token}', 'none', now())`, clientID)
	if err := a.QueryRow(ctx, `INSERT INTO oauth_grants (user_id, client_id, scopes, consent_version, created_at, updated_at)
		VALUES ($1, $2, $3, '1', now(), now()) RETURNING id`, userID, clientID, scopes).Scan(&grantID); err != nil {
		e.t.Fatal(err)
	}
	exec(`INSERT INTO oauth_consent_records (user_id, grant_id, client_id, client_name, action, scopes, consent_version, occurred_at)
		VALUES ($1, $2, $3, 'Fixture app', 'grant', $4, '1', now())`, userID, grantID, clientID, scopes)
	var familyID uuid.UUID
	if err := a.QueryRow(ctx, `INSERT INTO oauth_token_families (grant_id, user_id, client_id, created_at, expires_at)
		VALUES ($1, $2, $3, now(), now() + interval '1 day') RETURNING id`, grantID, userID, clientID).Scan(&familyID); err != nil {
		e.t.Fatal(err)
	}
	accessToken = "tbat_" + randomString()
	refresh := "tbrt_" + randomString()
	for _, tok := range []struct{ kind, value string }{{"access", accessToken}, {"refresh", refresh}} {
		exec(`INSERT INTO oauth_tokens (token_hash, kind, family_id, grant_id, user_id, client_id, scopes, audience, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), now() + interval '1 hour')`,
			sha(tok.value), tok.kind, familyID, grantID, userID, clientID, scopes, e.cfg.MCPResourceURL())
	}
	exec(`INSERT INTO oauth_codes (code_hash, grant_id, user_id, client_id, redirect_uri, code_challenge, resource, scopes, created_at, expires_at, used_at, family_id)
		VALUES ($1, $2, $3, $4, 'https://app.example/cb', 'challenge', $5, $6, now(), now() + interval '1 minute', now(), $7)`,
		sha("tbac_"+randomString()), grantID, userID, clientID, e.cfg.MCPResourceURL(), scopes, familyID)
	exec(`INSERT INTO oauth_authorization_requests (token_hash, user_id, client_id, redirect_uri, scopes, state, code_challenge, resource, created_at, expires_at)
		VALUES ($1, $2, $3, 'https://app.example/cb', $4, 'state', 'challenge', $5, now(), now() + interval '10 minutes')`,
		sha("tbcf_"+randomString()), userID, clientID, scopes, e.cfg.MCPResourceURL())
	return accessToken, grantID
}

// createTask makes a task through the production store (notes sealed).
func (e *env) createTask(userID uuid.UUID, title, notes string) task.Task {
	e.t.Helper()
	var out task.Task
	err := e.db.InUserTx(context.Background(), userID, func(tx postgres.Querier) error {
		var err error
		out, err = postgres.NewTasks(e.keys).Create(context.Background(), tx, task.NewTask{Title: title, Notes: notes})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// userTables lists every table of schema public with a column naming a
// user (user_id, owner_id) plus users itself: the tables an export must
// cover and an erasure must empty.
func userTables(t *testing.T, a *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := a.Query(context.Background(), `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN pg_tables p ON p.schemaname = c.table_schema AND p.tablename = c.table_name
		WHERE c.table_schema = 'public' AND c.column_name IN ('user_id', 'owner_id')`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"users": "id"}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		out[tbl] = col
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
