package web_test

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
	"testing"

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
	"github.com/taskbridge/taskbridge/internal/task"
	"github.com/taskbridge/taskbridge/internal/web"
)

const password = "plum kettle orbit 42"

// site is the whole server (routes.go) with accounts and the task page over
// real HTTP and a real database.
type site struct {
	t     *testing.T
	srv   *httptest.Server
	db    *postgres.DB
	tasks *postgres.Tasks
}

func newSite(t *testing.T) *site {
	t.Helper()
	tdb.Reset(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 4})
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
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	auditLog := postgres.NewAuditLog(auditKeys)
	sessions, err := account.NewSessions(account.SessionOptions{DB: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := account.New(account.Options{DB: db, Sessions: sessions, Keys: keys, Log: log, Audit: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewTasks(keys)
	page, err := web.NewTaskPage(accounts, db.InUserTx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string { return map[string]string{"TASKBRIDGE_ENV": "test"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, db: db, tasks: store}
	// The rest of the server, built with its defaults; /mcp is a
	// placeholder these tests never reach.
	authServer := oauth.New(cfg, db, keys, oauthLogin{accounts}, auditLog, log)
	privacySvc, err := privacy.New(privacy.Options{DB: db, Keys: keys, Accounts: accounts, Consents: authServer, Tokens: authServer,
		Audit: auditLog, Log: log, PublicURL: cfg.PublicURL.String(), PolicyMarkdown: taskbridge.PrivacyPolicy})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(server.NewServer(cfg, log, db.Ping, accounts, authServer, privacySvc, page, http.NotFoundHandler()))
	t.Cleanup(s.srv.Close)
	return s
}

// oauthLogin is the account service as OAuth's login seam.
type oauthLogin struct{ svc *account.Service }

func (a oauthLogin) CurrentUser(r *http.Request) (uuid.UUID, bool) {
	u, ok := a.svc.ConsentedUser(r)
	return u.ID, ok
}

func (oauthLogin) LoginURL(next string) string { return account.LoginURL(next) }

// browser has its own cookies and does not follow redirects.
func (s *site) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (s *site) do(c *http.Client, method, path string, form url.Values) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b), resp.Header.Get("Location")}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// signUp creates an account through the sign-up form, leaves c signed in and
// returns the new user's id.
func (s *site) signUp(c *http.Client, email string) uuid.UUID {
	s.t.Helper()
	form := s.do(c, http.MethodGet, "/signup", nil)
	m := csrfField.FindStringSubmatch(form.body)
	if m == nil {
		s.t.Fatalf("no csrf_token on the sign-up page:\n%s", form.body)
	}
	r := s.do(c, http.MethodPost, "/signup", url.Values{"csrf_token": {html.UnescapeString(m[1])}, "email": {email},
		"password": {password}, "password_confirm": {password}, "consent": {"yes"}})
	if r.status != http.StatusSeeOther || r.location != "/account" {
		s.t.Fatalf("sign-up: %d %q\n%s", r.status, r.location, r.body)
	}
	var id uuid.UUID
	if err := tdb.Admin(s.t).QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

func (s *site) createTask(owner uuid.UUID, in task.NewTask) task.Task {
	s.t.Helper()
	if err := in.Normalize(); err != nil {
		s.t.Fatal(err)
	}
	var out task.Task
	err := s.db.InUserTx(context.Background(), owner, func(tx postgres.Querier) error {
		var err error
		out, err = s.tasks.Create(context.Background(), tx, in)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func TestTaskPageShowsTheOwnersTask(t *testing.T) {
	s := newSite(t)
	owner := s.browser()
	id := s.signUp(owner, "owner@example.com")
	tk := s.createTask(id, task.NewTask{Title: "Buy <b>milk</b>", Notes: "line one\n<script>alert(1)</script>", Tags: []string{"home"}})

	r := s.do(owner, http.MethodGet, "/tasks/"+tk.ID.String(), nil)
	if r.status != http.StatusOK {
		t.Fatalf("owner: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{"Buy &lt;b&gt;milk&lt;/b&gt;", "line one<br>&lt;script&gt;alert(1)&lt;/script&gt;", "home", `href="/account"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "<script") || strings.Contains(r.body, "<b>milk") {
		t.Error("user text reached the page unescaped")
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("page CSP %q: want httpx.PageCSP (no script)", csp)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a page with personal data must not be cached", cc)
	}
}

// TestTaskPageOtherUsersTaskIsNotFound: the read runs in the signed-in
// user's transaction, so row-level security hides another user's task and
// the answer is the same 404 as for an id that does not exist.
func TestTaskPageOtherUsersTaskIsNotFound(t *testing.T) {
	s := newSite(t)
	alice, bob := s.browser(), s.browser()
	aliceID := s.signUp(alice, "alice@example.com")
	s.signUp(bob, "bob@example.com")
	tk := s.createTask(aliceID, task.NewTask{Title: "Alice's secret plan", Notes: "do not share"})

	r := s.do(bob, http.MethodGet, "/tasks/"+tk.ID.String(), nil)
	if r.status != http.StatusNotFound {
		t.Fatalf("another user's task: %d, want 404", r.status)
	}
	if strings.Contains(r.body, "secret plan") || strings.Contains(r.body, "do not share") {
		t.Fatal("the 404 page shows the other user's task")
	}
	missing := s.do(bob, http.MethodGet, "/tasks/"+uuid.NewString(), nil)
	if missing.status != http.StatusNotFound || !strings.Contains(missing.body, "There is no such task") || !strings.Contains(r.body, "There is no such task") {
		t.Fatalf("unknown id: %d; another user's id and an unknown id must look the same", missing.status)
	}
	if bad := s.do(bob, http.MethodGet, "/tasks/not-a-uuid", nil); bad.status != http.StatusNotFound {
		t.Fatalf("malformed id: %d, want 404", bad.status)
	}
}

func TestTaskPageAnonymousIsSentToLogin(t *testing.T) {
	s := newSite(t)
	ownerID := s.signUp(s.browser(), "owner@example.com")
	tk := s.createTask(ownerID, task.NewTask{Title: "Private"})

	r := s.do(s.browser(), http.MethodGet, "/tasks/"+tk.ID.String(), nil)
	if r.status != http.StatusSeeOther || r.location != account.LoginURL("/tasks/"+tk.ID.String()) {
		t.Fatalf("anonymous: %d %q, want 303 to the login page returning here", r.status, r.location)
	}
	if strings.Contains(r.body, "Private") {
		t.Fatal("the redirect leaks the task")
	}
}

// TestTaskPageNeedsPrivacyPolicyConsent: an account made by an operator has
// accepted no privacy policy, so showing its tasks waits for the consent
// page (C3), which then returns to the task.
func TestTaskPageNeedsPrivacyPolicyConsent(t *testing.T) {
	s := newSite(t)
	keys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	u, err := account.CreateUser(context.Background(), s.db, postgres.NewAuditLog(keys), "operator-made@example.com", password, "test")
	if err != nil {
		t.Fatal(err)
	}
	tk := s.createTask(u.ID, task.NewTask{Title: "Not before consent"})
	c := s.browser()
	form := s.do(c, http.MethodGet, "/login", nil)
	m := csrfField.FindStringSubmatch(form.body)
	if m == nil {
		t.Fatalf("no csrf_token on the login page:\n%s", form.body)
	}
	s.do(c, http.MethodPost, "/login", url.Values{"csrf_token": {html.UnescapeString(m[1])}, "email": {"operator-made@example.com"}, "password": {password}})

	path := "/tasks/" + tk.ID.String()
	r := s.do(c, http.MethodGet, path, nil)
	if r.status != http.StatusSeeOther || r.location != account.PolicyConsentURL(path) {
		t.Fatalf("task page without consent: %d %q, want 303 to %q", r.status, r.location, account.PolicyConsentURL(path))
	}
	if strings.Contains(r.body, "Not before consent") {
		t.Fatal("the redirect shows the task")
	}
	consent := s.do(c, http.MethodGet, r.location, nil)
	m = csrfField.FindStringSubmatch(consent.body)
	if m == nil {
		t.Fatalf("no csrf_token on the consent page:\n%s", consent.body)
	}
	back := s.do(c, http.MethodPost, account.PolicyConsentPath, url.Values{"csrf_token": {html.UnescapeString(m[1])}, "consent": {"yes"}, "next": {path}})
	if back.location != path {
		t.Fatalf("after consent: %d %q, want back to %q", back.status, back.location, path)
	}
	if r := s.do(c, http.MethodGet, path, nil); r.status != http.StatusOK || !strings.Contains(r.body, "Not before consent") {
		t.Fatalf("task page after consent: %d", r.status)
	}
}
