package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/internal/server"
	"github.com/taskbridge/taskbridge/internal/web"
)

var tdb *testdb.Database

func TestMain(m *testing.M) { testdb.Main(m, &tdb) }

const sessionCookie = "test_session"

// testAuthn stands in for the account package: a cookie naming a user.
type testAuthn struct{}

func (testAuthn) CurrentUser(r *http.Request) (uuid.UUID, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(c.Value)
	return id, err == nil
}

func (testAuthn) LoginURL(next string) string { return "/login?next=" + url.QueryEscape(next) }

// testClock starts at the real time and only moves forward when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	srv    *httptest.Server
	url    string
	cfg    *config.Config
	db     *postgres.DB
	oauth  *oauth.Server
	clock  *testClock
	keys   *keyring.Keyring
	client *http.Client
}

type envOptions struct {
	vars    map[string]string
	mcp     http.Handler
	options []oauth.Option
	db      *postgres.DB
	ln      net.Listener
	audit   func(postgres.AuditAppender) postgres.AuditAppender
}

// principalEcho is the stand-in MCP endpoint of these tests: it reports
// what RequireBearer put in the context.
func principalEcho() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := identity.FromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"user_id": p.UserID.String(), "client_id": p.ClientID, "grant_id": p.GrantID.String(), "scopes": p.ScopeString(),
		})
	})
}

func newEnv(t *testing.T, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{vars: map[string]string{}, mcp: principalEcho()}
	for _, f := range opts {
		f(&o)
	}
	ln := o.ln
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{
		"TASKBRIDGE_ENV": "test", "TASKBRIDGE_PUBLIC_URL": base,
		"TASKBRIDGE_RATE_REGISTER_PER_MINUTE": "1000", "TASKBRIDGE_RATE_TOKEN_PER_MINUTE": "1000",
		"TASKBRIDGE_RATE_AUTHORIZE_PER_MINUTE": "1000", "TASKBRIDGE_RATE_MCP_PER_MINUTE": "1000",
	}
	for k, v := range o.vars {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	db := o.db
	if db == nil {
		db, err = postgres.Open(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
	}
	spec, _ := keyring.Generate("test")
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srvOpts := append([]oauth.Option{oauth.WithClock(clock.Now)}, o.options...)
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	auditLog := postgres.NewAuditLog(auditKeys)
	var appender postgres.AuditAppender = auditLog
	if o.audit != nil {
		appender = o.audit(appender)
	}
	o2 := oauth.New(cfg, db, keys, testAuthn{}, appender, log, srvOpts...)
	// The rest of the server, which these tests do not visit; logins go
	// through testAuthn.
	sessions, err := account.NewSessions(account.SessionOptions{DB: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := account.New(account.Options{DB: db, Sessions: sessions, Keys: keys, Audit: appender, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	privacySvc, err := privacy.New(privacy.Options{DB: db, Keys: keys, Accounts: accounts, Consents: o2, Tokens: o2,
		Audit: auditLog, Log: log, PublicURL: base, PolicyMarkdown: taskbridge.PrivacyPolicy})
	if err != nil {
		t.Fatal(err)
	}
	taskPage, err := web.NewTaskPage(accounts, db.InUserTx, postgres.NewTasks(keys), log)
	if err != nil {
		t.Fatal(err)
	}
	handler := server.NewServer(cfg, log, db.Ping, accounts, o2, privacySvc, taskPage, o.mcp)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, url: base, cfg: cfg, db: db, oauth: o2, clock: clock, keys: keys,
		client: &http.Client{CheckRedirect: noRedirect}}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func withVars(kv ...string) func(*envOptions) {
	return func(o *envOptions) {
		for i := 0; i+1 < len(kv); i += 2 {
			o.vars[kv[i]] = kv[i+1]
		}
	}
}

func withOptions(opts ...oauth.Option) func(*envOptions) {
	return func(o *envOptions) { o.options = append(o.options, opts...) }
}

func withMCP(h http.Handler) func(*envOptions) { return func(o *envOptions) { o.mcp = h } }

// withAuditHook runs hook inside the transaction of every audited action,
// before its event is appended: a test can act while that transaction is
// still open (not yet committed).
func withAuditHook(hook func(audit.Event)) func(*envOptions) {
	return func(o *envOptions) {
		o.audit = func(next postgres.AuditAppender) postgres.AuditAppender { return hookedAppender{next, hook} }
	}
}

type hookedAppender struct {
	next postgres.AuditAppender
	hook func(audit.Event)
}

func (h hookedAppender) Append(ctx context.Context, q postgres.Execer, e audit.Event) error {
	h.hook(e)
	return h.next.Append(ctx, q, e)
}

// newUser creates a user the way the account package does.
func (e *env) newUser() uuid.UUID {
	e.t.Helper()
	id := uuid.New()
	err := e.db.InUserTx(context.Background(), id, func(tx postgres.Querier) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO users (id, email) VALUES ($1, $2)`, id, id.String()+"@example.test")
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// browser is a signed-in user agent that does not follow redirects.
func (e *env) browser(user uuid.UUID) *http.Client {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.url)
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: user.String(), Path: "/"}})
	return &http.Client{Jar: jar, CheckRedirect: noRedirect}
}

func (e *env) postJSON(path string, body any) (*http.Response, map[string]any) {
	e.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

func (e *env) do(req *http.Request) (*http.Response, map[string]any) {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp, m
}

type testClient struct {
	ID       string
	Secret   string
	Redirect string
}

// register registers a client through /register and fails the test on error.
func (e *env) register(meta map[string]any) testClient {
	e.t.Helper()
	if _, ok := meta["redirect_uris"]; !ok {
		meta["redirect_uris"] = []string{"https://app.example.com/callback"}
	}
	if _, ok := meta["token_endpoint_auth_method"]; !ok {
		meta["token_endpoint_auth_method"] = "none"
	}
	if _, ok := meta["grant_types"]; !ok {
		meta["grant_types"] = []string{"authorization_code", "refresh_token"}
	}
	resp, body := e.postJSON("/register", meta)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %v", resp.StatusCode, body)
	}
	c := testClient{ID: body["client_id"].(string), Redirect: meta["redirect_uris"].([]string)[0]}
	if s, ok := body["client_secret"].(string); ok {
		c.Secret = s
	}
	return c
}

func (e *env) publicClient() testClient {
	return e.register(map[string]any{"client_name": "Test App"})
}

type pkce struct{ Verifier, Challenge string }

func newPKCE() pkce {
	v := oauth2.GenerateVerifier()
	return pkce{v, oauth2.S256ChallengeFromVerifier(v)}
}

// authorizeURL builds a valid authorization request; extra overrides.
func (e *env) authorizeURL(c testClient, p pkce, extra url.Values) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.Redirect},
		"code_challenge": {p.Challenge}, "code_challenge_method": {"S256"}, "state": {"st-123"},
		"scope": {"tasks.read tasks.write"}, "resource": {e.cfg.MCPResourceURL()},
	}
	for k, vs := range extra {
		if len(vs) == 0 || (len(vs) == 1 && vs[0] == "") {
			q.Del(k)
			continue
		}
		q[k] = vs
	}
	return e.url + "/authorize?" + q.Encode()
}

var handleRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent opens the consent page and returns its single-use handle.
func (e *env) consent(b *http.Client, authURL string) (string, string) {
	e.t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("consent page: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), raw)
	}
	m := handleRE.FindSubmatch(raw)
	if m == nil {
		e.t.Fatalf("no handle on consent page:\n%s", raw)
	}
	return string(m[1]), string(raw)
}

// decide submits the consent form and returns the redirect's query.
func (e *env) decide(b *http.Client, handle, decision string, write bool) (*http.Response, url.Values) {
	e.t.Helper()
	form := url.Values{"request": {handle}, "decision": {decision}}
	if write {
		form.Set("grant_write", "1")
	}
	resp, err := b.PostForm(e.url+"/authorize", form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil {
		return resp, nil
	}
	return resp, loc.Query()
}

// code runs authorize + consent for user and returns a fresh code.
func (e *env) code(user uuid.UUID, c testClient, p pkce, write bool) string {
	e.t.Helper()
	b := e.browser(user)
	handle, _ := e.consent(b, e.authorizeURL(c, p, nil))
	resp, q := e.decide(b, handle, "allow", write)
	if resp.StatusCode != http.StatusSeeOther || q.Get("code") == "" {
		e.t.Fatalf("no code: %d %v", resp.StatusCode, q)
	}
	return q.Get("code")
}

// token posts to /token.
func (e *env) token(form url.Values) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

func (e *env) exchange(c testClient, code string, p pkce) (*http.Response, map[string]any) {
	return e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
		"redirect_uri": {c.Redirect}, "code_verifier": {p.Verifier}, "resource": {e.cfg.MCPResourceURL()}})
}

func (e *env) refresh(c testClient, rt string, extra url.Values) (*http.Response, map[string]any) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}}
	for k, v := range extra {
		form[k] = v
	}
	return e.token(form)
}

type tokens struct{ Access, Refresh, Scope string }

// login runs the whole flow and returns tokens.
func (e *env) login(user uuid.UUID, c testClient, write bool) tokens {
	e.t.Helper()
	p := newPKCE()
	resp, body := e.exchange(c, e.code(user, c, p, write), p)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	t := tokens{Access: body["access_token"].(string), Scope: body["scope"].(string)}
	if rt, ok := body["refresh_token"].(string); ok {
		t.Refresh = rt
	}
	return t
}

// mcp calls the protected endpoint with an Authorization header value.
func (e *env) mcp(authorization string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{}`))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// auditCount counts audit events of a type (inspection as admin).
func (e *env) auditCount(eventType string) int {
	e.t.Helper()
	var n int
	if err := tdb.Admin(e.t).QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE event_type = $1`, eventType).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
