package privacy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func (e *env) userCount(email string) int {
	e.t.Helper()
	var n int
	if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email = $1`, email).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// An app can only start a deletion (P6): DELETE /api/account and the MCP
// tool request_account_deletion record a pending request and return the
// account page; the account and its tasks stay, and the account page shows
// the request with the form that needs the password. A read-only token
// cannot even start one.
func TestAppsCanOnlyStartADeletion(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("req")
	e.createTask(id, "still here", "")
	readOnly, _ := e.grantFixture(id, "tasks.read")
	tok, _ := e.grantFixture(id, "tasks.read", "tasks.write")

	if p := e.do(http.DefaultClient, "DELETE", "/api/account", nil, bearer(readOnly)); p.status != http.StatusForbidden {
		t.Errorf("read-only token: %d, want 403", p.status)
	}
	p := e.do(http.DefaultClient, "DELETE", "/api/account", nil, bearer(tok))
	if p.status != http.StatusAccepted {
		t.Fatalf("DELETE /api/account: %d %s", p.status, p.body)
	}
	var started struct {
		Status     string `json:"status"`
		ConfirmURL string `json:"confirm_url"`
	}
	if err := json.Unmarshal([]byte(p.body), &started); err != nil || started.Status != "pending_confirmation" ||
		started.ConfirmURL != e.url+privacy.AccountDataPath+"#delete" {
		t.Errorf("answer = %s (%v)", p.body, err)
	}
	if e.userCount(email) != 1 {
		t.Fatal("the API deleted the account")
	}

	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	sess, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: e.url + "/mcp", HTTPClient: &http.Client{Transport: bearerTransport{tok}}, MaxRetries: -1, DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: "request_account_deletion", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("tool: %v %+v", err, res)
	}
	out, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(out), privacy.AccountDataPath) || !strings.Contains(string(out), "pending_confirmation") {
		t.Errorf("tool result = %s", out)
	}
	if e.userCount(email) != 1 {
		t.Fatal("the MCP tool deleted the account")
	}

	c := e.browser()
	e.mustLogin(c, email)
	page := e.do(c, "GET", privacy.AccountDataPath, nil, nil)
	if !strings.Contains(page.body, "asked on") || !strings.Contains(page.body, `name="password"`) {
		t.Errorf("the account page does not show the pending request and the password form:\n%s", page.body)
	}
	var audited int
	if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE event_type IN ('privacy.deletion_request', 'tool.call')
		AND actor = ANY($1)`, e.auditLog.Subjects(id)).Scan(&audited); err != nil || audited < 2 {
		t.Errorf("audit events for the two requests = %d (%v)", audited, err)
	}
}

// The consent records view lists every decision with its scopes and the
// consent text version (P4, C3).
func TestDataPageListsConsentRecords(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("consent")
	_, grantID := e.grantFixture(id, "tasks.read")
	if err := e.oauth.RevokeGrant(context.Background(), id, grantID); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	e.mustLogin(c, email)
	page := e.do(c, "GET", privacy.AccountDataPath, nil, nil)
	for _, want := range []string{"Allowed", "Disconnected", "Fixture app", "tasks.read", `<td data-label="Text version">1</td>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the consent records view lacks %q", want)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); csp == "" {
		t.Error("no CSP on the data page")
	}
}
