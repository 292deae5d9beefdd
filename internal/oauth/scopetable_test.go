package oauth_test

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// TestEveryScopeConsumerReadsTheScopeTable: what the authorization server
// advertises, accepts, shows on the consent page and grants is the scope
// table (identity.ScopeTable), so a scope added there is advertised,
// accepted, shown with its wording and granted (optional ones only when
// ticked) without another edit here.
func TestEveryScopeConsumerReadsTheScopeTable(t *testing.T) {
	e := newEnv(t)
	table := identity.ScopeTable()
	var all, resource, required []string
	for _, d := range table {
		all = append(all, string(d.Name))
		if d.Resource == identity.ResourceMCP {
			resource = append(resource, string(d.Name))
			if !d.Optional {
				required = append(required, string(d.Name))
			}
		}
	}

	for path, want := range map[string][]string{
		"/.well-known/oauth-authorization-server":   all,
		"/.well-known/oauth-protected-resource/mcp": resource,
	} {
		_, m := e.getJSON(path)
		var got []string
		for _, s := range m["scopes_supported"].([]any) {
			got = append(got, s.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s scopes_supported %q, want the table's %q", path, got, want)
		}
	}
	if h := e.mcp("").Header.Get("WWW-Authenticate"); !strings.Contains(h, `scope="`+strings.Join(resource, " ")+`"`) {
		t.Errorf("401 challenge %q does not name the table's resource scopes %q", h, resource)
	}

	user := e.newUser()
	b := e.browser(user)
	c := e.register(map[string]any{"client_name": "Scope Table"})
	// No scope parameter: every resource scope is asked for and shown.
	p := newPKCE()
	handle, page := e.consent(b, e.authorizeURL(c, p, url.Values{"scope": {""}}))
	for _, d := range table {
		if d.Consent == "" {
			continue
		}
		want := html.EscapeString(d.Consent)
		if d.Optional {
			want = `<input type="checkbox" name="` + d.ConsentField + `" value="1"> ` + want +
				`</label> (only if you tick it: left unticked, ` + html.EscapeString(d.Unticked) + `)`
		}
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %s as %q", d.Name, want)
		}
	}
	// Allow alone grants the required scopes; every box ticked, all of them.
	for _, tick := range []bool{false, true} {
		if tick {
			p = newPKCE()
			handle, _ = e.consent(b, e.authorizeURL(c, p, url.Values{"scope": {""}}))
		}
		form := url.Values{"request": {handle}, "decision": {"allow"}}
		want := required
		if tick {
			for _, d := range table {
				if d.Optional {
					form.Set(d.ConsentField, "1")
				}
			}
			want = resource
		}
		resp, err := b.PostForm(e.url+"/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		_, tok := e.exchange(c, loc.Query().Get("code"), p)
		if tok["scope"] != strings.Join(want, " ") {
			t.Errorf("ticked %v: token scope %q, want %q", tick, tok["scope"], strings.Join(want, " "))
		}
	}

	// A request without any resource scope is refused, naming them all.
	q := redirectedError(t, e, e.getAs(b, e.authorizeURL(c, newPKCE(), url.Values{"scope": {"offline_access"}})), "invalid_scope")
	for _, s := range resource {
		if !strings.Contains(q.Get("error_description"), s) {
			t.Errorf("refusal %q does not name %s", q.Get("error_description"), s)
		}
	}
	if resp := e.getAs(b, e.authorizeURL(c, newPKCE(), url.Values{"scope": {strings.Join(all, " ")}})); resp.StatusCode != http.StatusOK {
		t.Errorf("a request for every scope of the table: %d", resp.StatusCode)
	}
}
