package account_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/httpx"
)

// Every account page carries the page CSP (no script, no framing), has no
// <script> and no inline style, links the privacy page in its footer, and
// is not cacheable.
func TestEveryAccountPageHasCSPNoScriptAndPrivacyLink(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	anonPages := map[string]page{"/login": e.get(c, "/login"), "/signup": e.get(c, "/signup")}
	// The 403 page, through a post without a token.
	anonPages["403"] = e.post(c, "/login", nil)
	e.mustSignup(c, uniqueEmail("csp"))
	anonPages["/account"] = e.get(c, "/account")
	for name, p := range anonPages {
		t.Run(name, func(t *testing.T) {
			if got := p.Header.Get("Content-Security-Policy"); got != httpx.PageCSP {
				t.Errorf("CSP %q, want %q", got, httpx.PageCSP)
			}
			if !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Error("page may be framed")
			}
			if p.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", p.Header.Get("Cache-Control"))
			}
			lower := strings.ToLower(p.body)
			for _, banned := range []string{"<script", "style=", "<style", "javascript:", " on" + "click="} {
				if strings.Contains(lower, banned) {
					t.Errorf("page contains %q", banned)
				}
			}
			if !strings.Contains(p.body, `<footer class="site">`) || !strings.Contains(p.body, `href="/privacy"`) {
				t.Error("no footer link to /privacy")
			}
			if !strings.Contains(p.body, `<label for="`) && name != "403" && name != "/account" {
				t.Error("form fields without labels")
			}
		})
	}
}

func TestStylesheetServedSameOriginWithContentHashCaching(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	login := e.get(c, "/login")
	i := strings.Index(login.body, `href="/static/app.css?v=`)
	if i < 0 {
		t.Fatalf("no hashed stylesheet link:\n%s", login.body)
	}
	href := login.body[i+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]
	p := e.get(c, href)
	if p.StatusCode != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %q", p.StatusCode, p.Header.Get("Content-Type"))
	}
	if !strings.Contains(p.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("hashed stylesheet Cache-Control %q", p.Header.Get("Cache-Control"))
	}
	if p := e.get(c, "/static/app.css?v=stale"); p.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale-hash stylesheet Cache-Control %q", p.Header.Get("Cache-Control"))
	}
}
