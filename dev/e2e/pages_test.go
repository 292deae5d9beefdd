package e2e_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestPagesAsAPersonMeetsThem: the server pages' small promises (issue 16
// item 8), through the real server: the printed sign-up URL opens sign-up,
// a browser gets an HTML 404 (and favicon) with a title while API clients
// keep JSON, a sign-up error keeps the policy tick, the account page shows
// the MCP URL and how to connect, every signed-in page has the same header
// with sign-out, and a pending deletion names the app by its name.
func TestPagesAsAPersonMeetsThem(t *testing.T) {
	srv := startServer(t)

	t.Run("the printed sign-up URL opens the sign-up form", func(t *testing.T) {
		m := regexp.MustCompile(`open (\S+) to sign up`).FindStringSubmatch(srv.Stdout.String())
		if m == nil {
			t.Fatalf("no sign-up line in the banner:\n%s", srv.Stdout)
		}
		at := newBrowser(t, srv).Get(m[1])
		if at.Status != http.StatusOK || !strings.Contains(at.Body, `action="/signup"`) {
			t.Fatalf("%s answers %d, not the sign-up form (to %q)", m[1], at.Status, at.Location)
		}
	})

	t.Run("browsers get an HTML 404, API clients JSON", func(t *testing.T) {
		for _, c := range []struct{ path, accept, want string }{
			{"/no-such-page", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"},
			{"/favicon.ico", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "text/html"},
			{"/no-such-page", "application/json", "application/json"},
			{"/no-such-page", "*/*", "application/json"},
			{"/no-such-page", "", "application/json"},
		} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.want) {
				t.Errorf("GET %s (Accept %q): %d %s, want 404 %s", c.path, c.accept, resp.StatusCode, resp.Header.Get("Content-Type"), c.want)
			}
			if c.want == "text/html" && !strings.Contains(body, "<title>Page not found · taskbridge</title>") {
				t.Errorf("GET %s: the page has no title:\n%s", c.path, body)
			}
		}
	})

	t.Run("a sign-up error keeps the privacy policy tick", func(t *testing.T) {
		b := newBrowser(t, srv)
		form := b.Get("/signup")
		got := b.Post("/signup", url.Values{"csrf_token": {hiddenField(t, form.Body, "csrf_token")},
			"email": {"tick@example.test"}, "password": {"one long password here"}, "password_confirm": {"another one entirely"},
			"consent": {"yes"}})
		if got.Status != http.StatusBadRequest || !regexp.MustCompile(`name="consent"[^>]*\bchecked\b`).MatchString(got.Body) {
			t.Fatalf("after a sign-up error (%d) the consent box is not ticked:\n%s", got.Status, got.Body)
		}
	})

	p := newPerson(t)
	b := newBrowser(t, srv)
	b.signUp(p)
	t.Run("the account page shows the MCP URL and how to connect", func(t *testing.T) {
		acc := b.Get("/account")
		if !strings.Contains(acc.Body, html.EscapeString(srv.MCPURL())) || !strings.Contains(acc.Body, "Connect an app") {
			t.Fatalf("the account page lacks the MCP URL %s:\n%s", srv.MCPURL(), acc.Body)
		}
	})

	t.Run("every signed-in page has the same header with sign-out", func(t *testing.T) {
		nav := regexp.MustCompile(`(?s)<nav aria-label="Account">.*?</nav>`)
		want := ""
		for _, path := range []string{"/account", "/account/data", "/privacy", "/no-such-page"} {
			req, _ := http.NewRequest(http.MethodGet, b.resolve(path), nil)
			req.Header.Set("Accept", "text/html")
			req.Header.Set("Sec-Fetch-Site", "none")
			pg := b.do(req)
			got := regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(nav.FindString(pg.Body), `value=""`)
			if !strings.Contains(got, `action="/logout"`) || !strings.Contains(got, "Sign out") {
				t.Errorf("%s: no sign-out in the header:\n%s", path, got)
			}
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("%s has another header:\n%s\nwant\n%s", path, got, want)
			}
		}
	})

	t.Run("a pending deletion names the app by its name", func(t *testing.T) {
		app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: true})
		callTool(t, app.Session, "request_account_deletion", map[string]any{})
		data := b.Get("/account/data")
		notice := regexp.MustCompile(`(?s)<p class="notice" role="status">.*?</p>`).FindString(data.Body)
		if !strings.Contains(notice, html.EscapeString(appName)) || strings.Contains(notice, "<code>") {
			t.Fatalf("the pending deletion does not name %q:\n%s", appName, notice)
		}
	})
}
