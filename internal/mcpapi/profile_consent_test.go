package mcpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/oauth"
)

// consentBeforeLabel is the consent wording before the consent page named
// the account label: what oauth.ConsentVersion read, and so what every
// grant and consent record stored, until the profile tool came.
const consentBeforeLabel = "consent-2026-11-v1"

// TestProfileToolShowsTheLabelOnlyWhereTheConsentNamedIt: a connection
// linked under the older consent wording (grant and consent record with
// that version, behind the real bearer middleware) gets the opaque id, a
// name that discloses nothing and the advice to re-link, never a part of
// the email; a connection linked now gets the shortened email (P4).
func TestProfileToolShowsTheLabelOnlyWhereTheConsentNamedIt(t *testing.T) {
	onBothPaths(t, testProfileLabelConsent)
}

func testProfileLabelConsent(t *testing.T, via path) {
	e := newEnv(t)
	b := e.behindRealBearer(t)
	jane := e.userWithEmail(t, "jane.doe-"+uuid.NewString()[:8]+"@example.com")

	var before struct{ ID, Name string }
	res := callOK(t, b.client(t, b.link(t, jane, consentBeforeLabel), via), "get_account_profile", nil, &before)
	raw, _ := json.Marshal(res)
	for _, leak := range []string{"@", "jane", "ja…", "example.com"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("a connection linked under %s is shown %q: %s", consentBeforeLabel, leak, raw)
		}
	}
	if len(before.ID) != 32 || before.Name != "taskbridge account "+before.ID[:6] {
		t.Errorf("older connection's profile %+v: want a 32-character id and the name taskbridge account <id prefix>", before)
	}
	if !strings.Contains(text(res), "re-link") {
		t.Errorf("older connection's text does not say how to show the label: %q", text(res))
	}

	var now struct{ ID, Name string }
	callOK(t, b.client(t, b.link(t, jane, ""), via), "get_account_profile", nil, &now)
	if now.Name != "ja…@example.com" {
		t.Errorf("a connection linked under %s: label %q, want ja…@example.com", oauth.ConsentVersion, now.Name)
	}

	var calls int
	for _, r := range auditRows(t) {
		if r.Type == "tool.call" && r.Detail["tool"] == "get_account_profile" && r.Outcome == "success" {
			calls++
		}
	}
	if calls != 2 {
		t.Errorf("%d audited profile calls, want 2 (the older connection's too)", calls)
	}
}

// realBearer is e's handlers on both call paths behind the real OAuth
// bearer middleware, on e's database.
type realBearer struct {
	srv   *httptest.Server
	oauth *oauth.Server
}

func (e *env) behindRealBearer(t *testing.T) *realBearer {
	t.Helper()
	vars := map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_PUBLIC_URL": "http://127.0.0.1"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	as := oauth.New(cfg, e.db, testKeys(t), noSignIn{}, testAudit, e.deps.Log)
	srv := httptest.NewServer(as.RequireBearer(bothPaths(t, e.deps)))
	t.Cleanup(srv.Close)
	return &realBearer{srv: srv, oauth: as}
}

// link makes a new connection of user (its own client, so its own grant)
// with the rows the authorization flow writes, and returns its access
// token. A non-empty consentVersion rewrites the grant and its consent
// record to that version, as the server stored them when it was current.
func (b *realBearer) link(t *testing.T, user uuid.UUID, consentVersion string) string {
	t.Helper()
	ctx := context.Background()
	clientID, err := b.oauth.NewDirectClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.oauth.IssueDirect(ctx, clientID, user, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	if consentVersion != "" {
		admin := tdb.Admin(t)
		for _, table := range []string{"oauth_grants WHERE id", "oauth_consent_records WHERE grant_id"} {
			if _, err := admin.Exec(ctx, `UPDATE `+strings.Replace(table, " WHERE", " SET consent_version = $1 WHERE", 1)+` = $2`,
				consentVersion, tok.GrantID); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tok.AccessToken
}

// client connects the go-sdk client with the access token on via.
func (b *realBearer) client(t *testing.T, token string, via path) *mcp.ClientSession {
	t.Helper()
	return connect(t, b.srv.URL, bearerTransport{token: token, sdk: via.sdk}, via.protocol)
}

type bearerTransport struct {
	token string
	sdk   bool // the go-sdk answers (pathHeader)
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	if b.sdk {
		r.Header.Set(pathHeader, "sdk")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// noSignIn is the OAuth server's Authenticator here: nobody signs in, the
// connections are made with IssueDirect.
type noSignIn struct{}

func (noSignIn) CurrentUser(*http.Request) (uuid.UUID, bool) { return uuid.Nil, false }
func (noSignIn) LoginURL(string) string                      { return "/login" }
