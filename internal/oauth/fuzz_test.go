package oauth_test

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/oauth"
)

// FuzzRedirectURIValidation checks the invariants of an accepted redirect
// URI whatever the input: https, or http on loopback; no fragment,
// userinfo, whitespace or control characters; it matches itself exactly.
func FuzzRedirectURIValidation(f *testing.F) {
	for _, seed := range []string{
		"https://app.example.com/callback", "http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://localhost:3000/x",
		"javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "https://u:p@a.example/cb", "https://a.example/cb#f",
		"https://a.example/c b", "https://a.example/%2F..%2F", "http://evil.example/cb", "HTTPS://A.EXAMPLE/CB",
		"https://a.example:0443/cb", "https://a.example/../x", "https://a.example\\@b.example/", "https://a.example/\u202e",
		"https:///cb", "https://a.example?x=1", "myapp://cb", "https://chatgpt.com/connector_platform_oauth_redirect",
		"http://loCAlhosT", "http://[::01]", // other spellings of loopback
		"https://a.example/a/%2e%2e/cb", "https://a.example/%2E", "https://a.example/a%5c..%5ccb", // encoded dot segments
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if oauth.ValidateRedirectURI(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted an unparsable URI %q", raw)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
			t.Fatalf("accepted scheme/host %q", raw)
		}
		if u.User != nil || u.Fragment != "" || strings.ContainsAny(raw, "# \t\r\n\\") || u.Host == "" {
			t.Fatalf("accepted %q", raw)
		}
		for _, r := range raw {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("accepted a control or non-ASCII character in %q", raw)
			}
		}
		dec, err := url.PathUnescape(u.EscapedPath())
		if err != nil {
			t.Fatalf("accepted a path that does not decode: %q", raw)
		}
		for _, seg := range strings.FieldsFunc(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted a dot segment, once decoded: %q", raw)
			}
		}
		if got, ok := oauth.MatchRedirectURI([]string{raw}, raw); !ok || got != raw {
			t.Fatalf("%q does not match itself", raw)
		}
		if _, ok := oauth.MatchRedirectURI([]string{raw}, raw+"/"); ok && !strings.HasPrefix(raw, "http://") {
			t.Fatalf("%q matched with a trailing slash", raw)
		}
	})
}

// FuzzParseScope: the parser accepts only known scopes and returns them
// deduplicated in canonical order, so formatting and parsing round-trip.
func FuzzParseScope(f *testing.F) {
	for _, seed := range []string{"", "tasks.read", "tasks.read tasks.write", "tasks.write tasks.read tasks.read",
		"offline_access", "tasks.read  tasks.write", " tasks.read", "tasks.read\ttasks.write", "admin", "TASKS.READ", "tasks.read\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := oauth.ParseScope(s)
		if err != nil {
			return
		}
		seen := map[identity.Scope]bool{}
		for _, sc := range scopes {
			known := false
			for _, k := range identity.KnownScopes() {
				known = known || k == sc
			}
			if !known || seen[sc] {
				t.Fatalf("%q gave unknown or duplicate scope %q", s, sc)
			}
			seen[sc] = true
		}
		again, err := oauth.ParseScope(identity.JoinScopes(scopes))
		if err != nil || identity.JoinScopes(again) != identity.JoinScopes(scopes) {
			t.Fatalf("%q does not round-trip: %v %v", s, again, err)
		}
	})
}

// isLoopback is the fuzz oracle's own definition of a loopback host: the
// name localhost in any case, or an IP literal in the loopback range.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
