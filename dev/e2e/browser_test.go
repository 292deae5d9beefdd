package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a person's web browser: it keeps cookies, sends the Origin
// and Sec-Fetch-Site headers a browser sends with a same-origin form, and
// does not follow redirects, so each step can be checked.
type browser struct {
	t    *testing.T
	base *url.URL
	c    *http.Client
}

func newBrowser(t *testing.T, srv *server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is one response as the browser saw it.
type page struct {
	Status   int
	Location string // absolute; empty unless a redirect
	Body     string
}

func (b *browser) Get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.resolve(rawURL), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

// Post submits a form of one of the server's own pages.
func (b *browser) Post(rawURL string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.resolve(rawURL), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base.Scheme+"://"+b.base.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{Status: resp.StatusCode, Body: string(raw)}
	if loc := resp.Header.Get("Location"); loc != "" {
		p.Location = req.URL.ResolveReference(mustParse(b.t, loc)).String()
	}
	return p
}

func (b *browser) resolve(rawURL string) string {
	return b.base.ResolveReference(mustParse(b.t, rawURL)).String()
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse URL %q: %v", raw, err)
	}
	return u
}

// hiddenField returns the value of the first hidden input named name in
// body, unescaped as a browser would submit it.
func hiddenField(t *testing.T, body, name string) string {
	t.Helper()
	re := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden %s field in the page:\n%s", name, body)
	}
	return html.UnescapeString(m[1])
}

// person is someone who signs up: the credentials only they know.
type person struct {
	Email    string
	Password string
	// OperatorMade: an operator created the account (`taskbridge users
	// create`), so no privacy policy is accepted yet and the first sign-in
	// asks for it (C3).
	OperatorMade bool
}

func newPerson(t *testing.T) person {
	t.Helper()
	raw := make([]byte, 6)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	tag := hex.EncodeToString(raw)
	return person{Email: "newcomer." + tag + "@example.test", Password: "lantern orbit " + tag + " meadow"}
}

// signUp fills in the sign-up form: the page sets the form cookie and
// token, the consent box is ticked, and the new account lands signed in
// on its account page.
func (b *browser) signUp(p person) {
	b.t.Helper()
	form := b.Get("/signup")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `name="consent"`) {
		b.t.Fatalf("GET /signup: %d\n%s", form.Status, form.Body)
	}
	done := b.Post("/signup", url.Values{
		"csrf_token": {hiddenField(b.t, form.Body, "csrf_token")},
		"email":      {p.Email}, "password": {p.Password}, "password_confirm": {p.Password},
		"consent": {"yes"},
	})
	if done.Status != http.StatusSeeOther || done.Location != b.resolve("/account") {
		b.t.Fatalf("POST /signup: %d to %q\n%s", done.Status, done.Location, done.Body)
	}
	account := b.Get("/account")
	if account.Status != http.StatusOK || !strings.Contains(account.Body, html.EscapeString(p.Email)) ||
		!strings.Contains(account.Body, "No apps are connected") {
		b.t.Fatalf("account page after sign-up: %d\n%s", account.Status, account.Body)
	}
}

// consentChoice is what the person does on the consent page.
type consentChoice struct {
	// AllowWrite ticks the optional write checkbox; otherwise the box is
	// sent as the page shows it, as a person who just clicks Allow does.
	AllowWrite bool
}

// authorize is what a person does when an app sends them to the
// authorization URL in a browser that is not signed in: the server sends
// them to the login form, back to the authorization request, and shows
// the consent page, whose decision redirects to the app with the code.
// It returns the redirect's query and the consent page.
func (b *browser) authorize(authURL string, p person, choice consentChoice) (url.Values, string) {
	b.t.Helper()
	first := b.Get(authURL)
	login := mustParse(b.t, first.Location)
	if first.Status/100 != 3 || login.Path != "/login" {
		b.t.Fatalf("authorize before login: %d to %q, want the login page\n%s", first.Status, first.Location, first.Body)
	}
	form := b.Get(first.Location)
	if form.Status != http.StatusOK {
		b.t.Fatalf("login page: %d\n%s", form.Status, form.Body)
	}
	signedIn := b.Post("/login", url.Values{
		"csrf_token": {hiddenField(b.t, form.Body, "csrf_token")},
		"next":       {hiddenField(b.t, form.Body, "next")},
		"email":      {p.Email}, "password": {p.Password},
	})
	back := mustParse(b.t, signedIn.Location)
	if p.OperatorMade {
		// The policy consent page comes first, then the authorization
		// request again.
		if signedIn.Status != http.StatusSeeOther || back.Path != "/account/privacy-consent" {
			b.t.Fatalf("first sign-in of an operator-made account: %d to %q, want the privacy policy consent page", signedIn.Status, signedIn.Location)
		}
		policy := b.Get(signedIn.Location)
		if policy.Status != http.StatusOK || !strings.Contains(policy.Body, `href="/privacy"`) {
			b.t.Fatalf("privacy policy consent page: %d\n%s", policy.Status, policy.Body)
		}
		signedIn = b.Post("/account/privacy-consent", url.Values{
			"csrf_token": {hiddenField(b.t, policy.Body, "csrf_token")},
			"next":       {hiddenField(b.t, policy.Body, "next")},
			"consent":    {"yes"},
		})
		back = mustParse(b.t, signedIn.Location)
	}
	if signedIn.Status != http.StatusSeeOther || back.Path != "/authorize" {
		b.t.Fatalf("login: %d to %q, want the authorization request again\n%s", signedIn.Status, signedIn.Location, signedIn.Body)
	}
	consent := b.Get(signedIn.Location)
	if consent.Status != http.StatusOK || !strings.Contains(consent.Body, `name="decision" value="allow"`) {
		b.t.Fatalf("consent page: %d\n%s", consent.Status, consent.Body)
	}
	decision := url.Values{"request": {hiddenField(b.t, consent.Body, "request")}, "decision": {"allow"}}
	if choice.AllowWrite || strings.Contains(consent.Body, `name="grant_write" value="1" checked`) {
		decision.Set("grant_write", "1")
	}
	answer := b.Post("/authorize", decision)
	if answer.Status/100 != 3 || answer.Location == "" {
		b.t.Fatalf("consent decision: %d\n%s", answer.Status, answer.Body)
	}
	return mustParse(b.t, answer.Location).Query(), consent.Body
}
