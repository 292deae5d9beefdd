package oauth_test

import (
	"strings"
	"testing"
)

// TestConsentPageFormActionAllowsOnlyTheRedirectOrigin: Allow and Cancel
// post to /authorize, which answers 303 to the client's redirect URI.
// Chromium and WebKit apply form-action to that redirect too, so the
// consent page's policy must name the redirect origin (or no browser ever
// delivers the code) and nothing else.
func TestConsentPageFormActionAllowsOnlyTheRedirectOrigin(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	c := e.register(map[string]any{})
	resp, err := b.Get(e.authorizeURL(c, newPKCE(), nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	var formAction string
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "form-action ") {
			formAction = d
		}
	}
	if formAction != "form-action 'self' https://app.example.com" {
		t.Fatalf("consent page form-action %q in %q; want 'self' and the redirect origin only", formAction, csp)
	}
	if strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("consent page CSP %q lost its other directives", csp)
	}
}
