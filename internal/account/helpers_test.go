package account_test

import (
	"context"
	"html"
	"io"
	"log/slog"
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

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/internal/server"
	"github.com/taskbridge/taskbridge/internal/web"
)

// testPassword passes every sign-up rule.
const testPassword = "plum kettle orbit 42"

// clock is a test clock that only moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingMetrics records what the service counted.
type countingMetrics struct {
	mu        sync.Mutex
	failed    int
	throttled map[string]int
}

func (m *countingMetrics) LoginFailed() { m.mu.Lock(); m.failed++; m.mu.Unlock() }
func (m *countingMetrics) Throttled(route string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.throttled == nil {
		m.throttled = map[string]int{}
	}
	m.throttled[route]++
}

// env is a running server with the accounts component over real HTTP and a
// real PostgreSQL database.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	clock   *clock
	metrics *countingMetrics
	db      *postgres.DB
	svc     *account.Service
}

// envConfig is what a test may change before its server starts: the
// Service's options and those of the Sessions it is built on.
type envConfig struct {
	account.Options
	Session account.SessionOptions
}

type envOption func(*envConfig)

// pinnedHashing undoes account.FastHashing: the service hashes with
// account.PasswordParams.
func pinnedHashing(c *envConfig) { account.PinnedHashing(&c.Options) }

func newEnv(t *testing.T, opts ...envOption) *env {
	return startEnv(t, false, opts...)
}

func startEnv(t *testing.T, https bool, opts ...envOption) *env {
	t.Helper()
	tdb.Reset(t)
	return startEnvOn(t, tdb.AppURL, https, opts...)
}

// startEnvOn runs the server on the database of appURL.
func startEnvOn(t *testing.T, appURL string, https bool, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, appURL, postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	spec, err := keyring.Generate("t1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: newClock(), metrics: &countingMetrics{}, db: db}
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	auditLog := postgres.NewAuditLog(auditKeys)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	c := envConfig{
		Options: account.Options{DB: db, Keys: keys, Metrics: e.metrics, Audit: auditLog, Log: log},
		Session: account.SessionOptions{DB: db, Log: log, HTTPS: https, Now: e.clock.Now},
	}
	account.FastHashing(&c.Options) // pinnedHashing in opts undoes it
	for _, opt := range opts {
		opt(&c)
	}
	if c.Sessions, err = account.NewSessions(c.Session); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = account.New(c.Options); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"TASKBRIDGE_ENV": "test"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newServer(t, cfg, db, keys, auditLog, e.svc)
	if https {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// newServer is the whole server around accounts; the other components are
// built with their defaults (logins for OAuth go through accounts) and /mcp
// is a placeholder these tests never reach.
func newServer(t *testing.T, cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, auditLog *postgres.AuditLog, accounts *account.Service) http.Handler {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	authServer := oauth.New(cfg, db, keys, oauthLogin{accounts}, auditLog, log)
	privacySvc, err := privacy.New(privacy.Options{DB: db, Keys: keys, Accounts: accounts, Consents: authServer, Tokens: authServer,
		Audit: auditLog, Log: log, PublicURL: cfg.PublicURL.String(), PolicyMarkdown: taskbridge.PrivacyPolicy})
	if err != nil {
		t.Fatal(err)
	}
	taskPage, err := web.NewTaskPage(accounts, db.InUserTx, postgres.NewTasks(keys), log)
	if err != nil {
		t.Fatal(err)
	}
	return server.NewServer(cfg, log, db.Ping, accounts, authServer, privacySvc, taskPage, http.NotFoundHandler())
}

// oauthLogin is the account service as OAuth's login seam.
type oauthLogin struct{ svc *account.Service }

func (a oauthLogin) CurrentUser(r *http.Request) (uuid.UUID, bool) {
	u, ok := a.svc.ConsentedUser(r)
	return u.ID, ok
}

func (oauthLogin) LoginURL(next string) string { return account.LoginURL(next) }

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see each 303.
func (e *env) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.srv.Client()
	return &http.Client{Transport: c.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// page is a response with its body read.
type page struct {
	*http.Response
	body string
}

func (e *env) do(c *http.Client, req *http.Request) page {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{Response: resp, body: string(b)}
}

func (e *env) get(c *http.Client, path string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(c, req)
}

func (e *env) post(c *http.Client, path string, form url.Values, header ...string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(c, req)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// csrfFrom returns the first CSRF token of a page.
func csrfFrom(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token field on the page (status %d):\n%s", p.StatusCode, p.body)
	}
	return html.UnescapeString(m[1])
}

// signup creates an account through the form and returns the response.
func (e *env) signup(c *http.Client, email, password string) page {
	e.t.Helper()
	form := e.get(c, "/signup")
	return e.post(c, "/signup", url.Values{
		"csrf_token": {csrfFrom(e.t, form)}, "email": {email}, "password": {password},
		"password_confirm": {password}, "consent": {"yes"},
	})
}

// mustSignup signs up and checks it worked; the browser is signed in.
func (e *env) mustSignup(c *http.Client, email string) {
	e.t.Helper()
	p := e.signup(c, email, testPassword)
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account" {
		e.t.Fatalf("sign-up: status %d, location %q\n%s", p.StatusCode, p.Header.Get("Location"), p.body)
	}
}

// login posts the login form (next optional) and returns the response.
func (e *env) login(c *http.Client, email, password string, next ...string) page {
	e.t.Helper()
	path := "/login"
	form := url.Values{"email": {email}, "password": {password}}
	if len(next) > 0 {
		form.Set("next", next[0])
		path += "?next=" + url.QueryEscape(next[0])
	}
	form.Set("csrf_token", csrfFrom(e.t, e.get(c, path)))
	return e.post(c, "/login", form)
}

// logout posts the sign-out form found on the account page.
func (e *env) logout(c *http.Client) page {
	e.t.Helper()
	acct := e.get(c, "/account")
	return e.post(c, "/logout", url.Values{"csrf_token": {csrfFrom(e.t, acct)}})
}

// sessionCookie returns the browser's session cookie value for the server.
func (e *env) sessionCookie(c *http.Client, name string) string {
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// signedIn reports whether the browser reaches /account without a redirect.
func (e *env) signedIn(c *http.Client) bool {
	e.t.Helper()
	p := e.get(c, "/account")
	return p.StatusCode == http.StatusOK
}

func uniqueEmail(prefix string) string {
	return prefix + "-" + uuid.NewString()[:8] + "@example.test"
}
