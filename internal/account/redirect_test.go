package account_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/account"
)

func TestSafeNextRejectsOpenRedirects(t *testing.T) {
	for _, bad := range []string{
		"", "account", "https://evil.example/", "//evil.example", "//evil.example/account",
		`/\evil.example`, `\/evil.example`, "/\t/evil.example", "/\n/evil.example", "/account\\..\\",
		"javascript:alert(1)", "http:/evil.example", "/%0d%0aSet-Cookie:x", "///evil.example",
	} {
		if got, ok := account.SafeNext(bad); ok {
			if bad == "/%0d%0aSet-Cookie:x" && got == bad {
				continue // percent-encoded: a harmless local path
			}
			t.Errorf("SafeNext(%q) accepted as %q", bad, got)
		}
	}
	for _, good := range []string{"/account", "/authorize?client_id=a&state=b", "/a/b?c=%2F%2Fd"} {
		if got, ok := account.SafeNext(good); !ok || got != good {
			t.Errorf("SafeNext(%q) = %q, %v", good, got, ok)
		}
	}
	if got := account.LoginURL("//evil.example"); got != "/login" {
		t.Errorf("LoginURL(//evil.example) = %q, want /login", got)
	}
	if got := account.LoginURL("/authorize?x=1"); got != "/login?next=%2Fauthorize%3Fx%3D1" {
		t.Errorf("LoginURL = %q", got)
	}
}

// End to end: a login carrying a hostile next lands on /account; a local
// next is honoured.
func TestLoginNextRedirectIsLocalOnly(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("next")
	e.mustSignup(e.browser(), email)
	for next, want := range map[string]string{
		"//evil.example/x":        "/account",
		`/\evil.example`:          "/account",
		"https://evil.example/":   "/account",
		"/account?from=authorize": "/account?from=authorize",
	} {
		p := e.login(e.browser(), email, testPassword, next)
		if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != want {
			t.Errorf("next=%q: %d %q, want 303 %q", next, p.StatusCode, p.Header.Get("Location"), want)
		}
	}
}

func TestRequireLoginRedirectsToLoginWithNext(t *testing.T) {
	e := newEnv(t)
	p := e.get(e.browser(), "/account?tab=apps")
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2Faccount%3Ftab%3Dapps" {
		t.Fatalf("anonymous /account: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
}

// Sign-up carries next like login does (a newcomer linking an app keeps
// the pending authorization), and only a local one: a hostile next lands
// on /account. The login page's links to the sign-up page carry it too,
// and a signed-in visitor to /signup goes straight on.
func TestSignupNextRedirectIsLocalOnly(t *testing.T) {
	e := newEnv(t)
	next := "/authorize?client_id=app&state=" + url.QueryEscape(`"><script>`)
	login := e.get(e.browser(), "/login?next="+url.QueryEscape(next))
	// html/template writes lower-case percent escapes.
	if want := strings.ToLower(`href="/signup?next=` + url.QueryEscape(next) + `"`); strings.Count(strings.ToLower(login.body), want) != 2 {
		t.Fatalf("login page: want both sign-up links to carry next (%s)\n%s", want, login.body)
	}
	for next, want := range map[string]string{
		"//evil.example/x":      "/account",
		`/\evil.example`:        "/account",
		"https://evil.example/": "/account",
		next:                    next,
	} {
		c := e.browser()
		form := e.get(c, "/signup?next="+url.QueryEscape(next))
		p := e.post(c, "/signup", url.Values{
			"csrf_token": {csrfFrom(t, form)}, "next": {next}, "email": {uniqueEmail("signup-next")},
			"password": {testPassword}, "password_confirm": {testPassword}, "consent": {"yes"},
		})
		if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != want {
			t.Errorf("next=%q: %d %q, want 303 %q", next, p.StatusCode, p.Header.Get("Location"), want)
		}
		if again := e.get(c, "/signup?next="+url.QueryEscape(next)); again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != want {
			t.Errorf("signed in, /signup?next=%q: %d %q, want 303 %q", next, again.StatusCode, again.Header.Get("Location"), want)
		}
	}
}
