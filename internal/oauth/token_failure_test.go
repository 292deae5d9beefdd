package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/oauth"
)

// failureEvent is the audit event a refused request wrote, found by the
// request's correlation id.
type failureEvent struct {
	Outcome  string
	ClientID *string
	Detail   map[string]any
	Row      string // the whole row as text, to look for leaked secrets
}

func (e *env) failureEvents(eventType, requestID string) []failureEvent {
	e.t.Helper()
	rows, err := tdb.Admin(e.t).Query(context.Background(), `SELECT outcome, client_id, detail, a::text FROM audit_events a
		WHERE event_type = $1 AND request_id = $2`, eventType, requestID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []failureEvent
	for rows.Next() {
		var f failureEvent
		var raw []byte
		if err := rows.Scan(&f.Outcome, &f.ClientID, &raw, &f.Row); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &f.Detail); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// postForm posts a form to path, optionally with HTTP Basic credentials.
func (e *env) postForm(path string, form url.Values, basicID, basicSecret string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return e.do(req)
}

// TestTokenEndpointFailuresAreAuditedAndCounted: every request the token
// endpoint refuses (wrong PKCE verifier; unknown, expired or replayed code;
// unknown or reused refresh token; wrong or missing client secret; unknown
// client) writes one oauth.token.failure audit event with outcome failure,
// the registered client's id (none for an unknown client) and a detail of
// enum values only (error code, grant type), and counts one auth failure
// with a fixed reason; nothing presented (code, verifier, token, secret)
// reaches the trail. The same holds for client authentication at /revoke
// (L4, L6).
func TestTokenEndpointFailuresAreAuditedAndCounted(t *testing.T) {
	m := &countingMetrics{failures: map[string]int{}}
	e := newEnv(t, withOptions(oauth.WithMetrics(m)))
	pub := e.publicClient()
	conf := e.register(map[string]any{"client_name": "Hosted", "token_endpoint_auth_method": "client_secret_post"})
	user := e.newUser()
	resource := e.cfg.MCPResourceURL()
	codeForm := func(c testClient, code, verifier string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
			"redirect_uri": {c.Redirect}, "code_verifier": {verifier}, "resource": {resource}}
	}

	type attempt struct {
		name                 string
		form                 url.Values
		basicID, basicSecret string
		endpoint             string // "/token" unless set
		wantError, wantGrant string
		wantClient           string // "" means no client id recorded
		secrets              []string
	}
	var attempts []attempt

	p := newPKCE()
	code := e.code(user, pub, p, false)
	wrong := newPKCE().Verifier
	attempts = append(attempts, attempt{name: "wrong PKCE verifier", form: codeForm(pub, code, wrong),
		wantError: "invalid_grant", wantGrant: "authorization_code", wantClient: pub.ID, secrets: []string{code, wrong}})
	attempts = append(attempts, attempt{name: "unknown code", form: codeForm(pub, "made-up-code-0123456789", p.Verifier),
		wantError: "invalid_grant", wantGrant: "authorization_code", wantClient: pub.ID, secrets: []string{"made-up-code-0123456789", p.Verifier}})

	used := newPKCE()
	usedCode := e.code(user, pub, used, false)
	if resp, body := e.exchange(pub, usedCode, used); resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	attempts = append(attempts, attempt{name: "replayed code", form: codeForm(pub, usedCode, used.Verifier),
		wantError: "invalid_grant", wantGrant: "authorization_code", wantClient: pub.ID, secrets: []string{usedCode, used.Verifier}})

	tok := e.login(user, pub, true)
	_, r1 := e.refresh(pub, tok.Refresh, nil)
	_, _ = e.refresh(pub, r1["refresh_token"].(string), nil)
	attempts = append(attempts, attempt{name: "reused refresh token",
		form:      url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}, "client_id": {pub.ID}},
		wantError: "invalid_grant", wantGrant: "refresh_token", wantClient: pub.ID, secrets: []string{tok.Refresh}})
	attempts = append(attempts, attempt{name: "unknown refresh token",
		form:      url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"tbrt_made_up_refresh"}, "client_id": {pub.ID}},
		wantError: "invalid_grant", wantGrant: "refresh_token", wantClient: pub.ID, secrets: []string{"tbrt_made_up_refresh"}})

	cp := newPKCE()
	confCode := e.code(user, conf, cp, false)
	badSecret := "tbcs_wrong-secret-guess"
	withSecret := codeForm(conf, confCode, cp.Verifier)
	withSecret.Set("client_secret", badSecret)
	attempts = append(attempts, attempt{name: "wrong client secret (post)", form: withSecret,
		wantError: "invalid_client", wantGrant: "authorization_code", wantClient: conf.ID, secrets: []string{badSecret, confCode, cp.Verifier}})
	attempts = append(attempts, attempt{name: "wrong client secret (basic)", form: url.Values{"grant_type": {"authorization_code"}, "code": {confCode},
		"redirect_uri": {conf.Redirect}, "code_verifier": {cp.Verifier}}, basicID: conf.ID, basicSecret: badSecret,
		wantError: "invalid_client", wantGrant: "authorization_code", wantClient: conf.ID, secrets: []string{badSecret, confCode}})
	attempts = append(attempts, attempt{name: "missing client secret", form: codeForm(conf, confCode, cp.Verifier),
		wantError: "invalid_client", wantGrant: "authorization_code", wantClient: conf.ID, secrets: []string{confCode, cp.Verifier}})
	attempts = append(attempts, attempt{name: "unknown client", form: codeForm(testClient{ID: "made-up-client", Redirect: pub.Redirect}, code, p.Verifier),
		wantError: "invalid_client", wantGrant: "authorization_code", secrets: []string{"made-up-client", code}})
	attempts = append(attempts, attempt{name: "revoke with a wrong client secret", endpoint: "/revoke",
		form:      url.Values{"token": {tok.Access}, "client_id": {conf.ID}, "client_secret": {badSecret}},
		wantError: "invalid_client", wantClient: conf.ID, secrets: []string{tok.Access, badSecret}})

	// Expired: the clock moves last, so the codes above were still fresh.
	ep := newPKCE()
	expiring := e.code(user, pub, ep, false)
	e.clock.Advance(e.cfg.OAuth.CodeTTL + 1)
	attempts = append(attempts, attempt{name: "expired code", form: codeForm(pub, expiring, ep.Verifier),
		wantError: "invalid_grant", wantGrant: "authorization_code", wantClient: pub.ID, secrets: []string{expiring, ep.Verifier}})

	failuresBefore, _ := m.totals()
	wantReasons := map[string]int{}
	for _, a := range attempts {
		path, event, prefix := "/token", "oauth.token.failure", "token_"
		if a.endpoint == "/revoke" {
			path, event, prefix = "/revoke", "oauth.revoke.failure", "revoke_"
		}
		resp, body := e.postForm(path, a.form, a.basicID, a.basicSecret)
		if body["error"] != a.wantError {
			t.Errorf("%s: %d %v, want %s", a.name, resp.StatusCode, body, a.wantError)
			continue
		}
		wantReasons[prefix+a.wantError]++
		events := e.failureEvents(event, resp.Header.Get("X-Request-Id"))
		if len(events) != 1 {
			t.Errorf("%s: %d %s events, want 1", a.name, len(events), event)
			continue
		}
		ev := events[0]
		if ev.Outcome != "failure" {
			t.Errorf("%s: outcome %q, want failure", a.name, ev.Outcome)
		}
		switch {
		case a.wantClient == "" && ev.ClientID != nil:
			t.Errorf("%s: client id %q recorded for an unknown client", a.name, *ev.ClientID)
		case a.wantClient != "" && (ev.ClientID == nil || *ev.ClientID != a.wantClient):
			t.Errorf("%s: client id %v, want %s", a.name, ev.ClientID, a.wantClient)
		}
		want := map[string]any{"error": a.wantError}
		if a.wantGrant != "" {
			want["grant_type"] = a.wantGrant
		}
		if len(ev.Detail) != len(want) {
			t.Errorf("%s: detail %v, want exactly %v", a.name, ev.Detail, want)
		}
		for k, v := range want {
			if ev.Detail[k] != v {
				t.Errorf("%s: detail[%s] = %v, want %v", a.name, k, ev.Detail[k], v)
			}
		}
		for _, s := range a.secrets {
			if strings.Contains(ev.Row, s) {
				t.Errorf("%s: the audit row holds a presented value %q", a.name, s)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	total := 0
	for reason, n := range wantReasons {
		total += n
		if m.failures[reason] != n {
			t.Errorf("auth failures with reason %s: %d, want %d (all: %v)", reason, m.failures[reason], n, m.failures)
		}
	}
	var counted int
	for _, n := range m.failures {
		counted += n
	}
	if counted-failuresBefore != total {
		t.Errorf("auth failures counted %d, want %d (%v)", counted-failuresBefore, total, m.failures)
	}
}
