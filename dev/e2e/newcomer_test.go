package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/web/widget"
)

// writeTools are the tools that need tasks.write.
var writeTools = []string{"create_task", "create_tasks", "update_task", "complete_task", "complete_tasks", "reopen_task", "delete_task", "restore_task", "purge_task"}

// journey is what one newcomer's full session left behind.
type journey struct {
	Person    person
	TaskTitle string
	Token     string // the access token the app held, revoked by now
}

func TestNewcomerSignsUpLinksAClientAndUsesEveryScope(t *testing.T) {
	srv := startServer(t)
	j := newcomerJourney(t, srv)

	// Nothing secret or identifying reached the logs of the whole journey.
	logs := srv.Stderr.String()
	for what, secret := range map[string]string{"email": j.Person.Email, "password": j.Person.Password, "access token": j.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server logged the user's %s", what)
		}
	}
}

// newcomerJourney: sign up, link the app with read and write access, use
// both scopes and the widget, find the app on the account page, disconnect
// it there, and see the app's next call refused.
func newcomerJourney(t *testing.T, srv *server) journey {
	t.Helper()
	ctx := context.Background()
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)

	// The app is linked from another browser, which is not signed in: the
	// authorization request goes through the login form.
	b := newBrowser(t, srv)
	app := linkApp(t, srv, b, p, consentChoice{AllowWrite: true})
	if !strings.Contains(app.consentPage, "Create, change, complete and delete your tasks") ||
		!strings.Contains(app.consentPage, "See your tasks") {
		t.Fatalf("the consent page does not list both scopes in plain words:\n%s", app.consentPage)
	}

	tools := listTools(t, app.Session)
	for _, name := range append([]string{"list_tasks", "get_task"}, writeTools...) {
		if _, ok := tools[name]; !ok {
			t.Errorf("tools/list of a read+write link lacks %s", name)
		}
	}

	title := "Water the ferns " + p.Email[len("newcomer."):len("newcomer.")+6]
	created := callTool(t, app.Session, "create_task", map[string]any{"title": title, "priority": "high"})
	if created.IsError {
		t.Fatalf("create_task: %s", toolText(created))
	}
	var made struct {
		Task struct{ ID, Title string } `json:"task"`
	}
	decodeStructured(t, created, &made)
	if made.Task.ID == "" || made.Task.Title != title {
		t.Fatalf("create_task returned %+v", made)
	}

	listed := callTool(t, app.Session, "list_tasks", map[string]any{})
	var list struct {
		Tasks []struct{ ID, Title string } `json:"tasks"`
		Count int                          `json:"count"`
	}
	decodeStructured(t, listed, &list)
	if listed.IsError || list.Count != 1 || len(list.Tasks) != 1 || list.Tasks[0].ID != made.Task.ID {
		t.Fatalf("list_tasks after create_task: %+v (error %v)", list, listed.IsError)
	}

	// The widget: the URI the tools name as their output template is a
	// resource the client can read, and it is the MCP Apps view.
	template, _ := tools["list_tasks"].Meta["openai/outputTemplate"].(string)
	if template == "" || template != widget.URI() {
		t.Fatalf("list_tasks outputTemplate %q, want %q", template, widget.URI())
	}
	res, err := app.Session.ReadResource(ctx, &mcp.ReadResourceParams{URI: template})
	if err != nil {
		t.Fatalf("read the widget resource: %v", err)
	}
	if len(res.Contents) != 1 || res.Contents[0].URI != template || res.Contents[0].MIMEType != widget.MIMEType ||
		!strings.Contains(strings.ToLower(res.Contents[0].Text), "<html") {
		t.Fatalf("widget resource: %d contents, first %q %q", len(res.Contents), res.Contents[0].URI, res.Contents[0].MIMEType)
	}

	// The account page lists the app with its scopes and a way to disconnect it.
	account := b.Get("/account")
	if account.Status != http.StatusOK || !strings.Contains(account.Body, html.EscapeString(appName)) ||
		!strings.Contains(account.Body, "Create, change and delete your tasks") || !strings.Contains(account.Body, "Disconnect") {
		t.Fatalf("account page does not list the connected app: %d\n%s", account.Status, account.Body)
	}
	token := app.AccessToken(t)
	if status, _, body := rawToolsList(t, srv, token); status != http.StatusOK {
		t.Fatalf("the app's token before disconnecting: %d %s", status, body)
	}

	// Disconnect it. The form needs the session's CSRF token...
	revoke := url.Values{"grant_id": {hiddenField(t, account.Body, "grant_id")}}
	if refused := b.Post("/account/connected-apps/revoke", revoke); refused.Status != http.StatusForbidden {
		t.Fatalf("disconnect without the CSRF token: %d, want 403", refused.Status)
	}
	revoke.Set("csrf_token", hiddenField(t, account.Body, "csrf_token"))
	done := b.Post("/account/connected-apps/revoke", revoke)
	if done.Status != http.StatusSeeOther || !strings.Contains(done.Location, "notice=disconnected") {
		t.Fatalf("disconnect: %d to %q\n%s", done.Status, done.Location, done.Body)
	}
	if after := b.Get("/account"); !strings.Contains(after.Body, "No apps are connected") {
		t.Fatalf("the app is still listed after disconnecting:\n%s", after.Body)
	}
	// Disconnecting it again (a second click, a stale page) is the user's
	// 404 with a clear message, not a 500 that trips the operator's alert.
	again := b.Post("/account/connected-apps/revoke", revoke)
	if again.Status != http.StatusNotFound || !strings.Contains(again.Body, "not connected to your account") {
		t.Fatalf("disconnecting an already disconnected app: %d, want 404 saying it is not connected\n%s", again.Status, again.Body)
	}
	if logs := srv.Stderr.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, `"level":"ERROR"`) {
		t.Fatalf("the server logged an error for a repeated disconnect:\n%s", logs)
	}

	// ...and it takes effect on the app's next request: 401 with the
	// challenge that points at the protected resource metadata.
	status, challenge, _ := rawToolsList(t, srv, token)
	if status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) ||
		!strings.Contains(challenge, `resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/mcp"`) {
		t.Fatalf("the revoked token's next request: %d %q, want 401 invalid_token with resource_metadata", status, challenge)
	}
	// The go-sdk client gets the same 401 on its next tool call and asks the
	// person to link again, which they decline.
	if _, err := app.Session.CallTool(ctx, &mcp.CallToolParams{Name: "list_tasks", Arguments: map[string]any{}}); err == nil {
		t.Fatal("a tool call through the disconnected app succeeded")
	}
	if app.Links() != 2 {
		t.Fatalf("after its 401 the client asked the person to authorize %d time(s) in all, want 2 (the link and one re-link)", app.Links())
	}
	return journey{Person: p, TaskTitle: title, Token: token}
}

// TestReadOnlyConsentHidesWriteTools: a person who clicks Allow without
// ticking the write box (P5) links the app for reading only, and tools/list
// shows no write tool (the newcomer journey ticks it and sees them all).
func TestReadOnlyConsentHidesWriteTools(t *testing.T) {
	srv := startServer(t)
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	b := newBrowser(t, srv)
	app := linkApp(t, srv, b, p, consentChoice{AllowWrite: false})

	tools := listTools(t, app.Session)
	for _, name := range writeTools {
		if _, ok := tools[name]; ok {
			t.Errorf("tools/list of a read-only link shows the write tool %s", name)
		}
	}
	if _, ok := tools["list_tasks"]; !ok {
		t.Fatalf("tools/list of a read-only link lacks list_tasks: %v", slices.Sorted(maps.Keys(tools)))
	}

	// A client that calls the hidden tool anyway is refused in-band, with
	// the challenge a host uses to offer linking again with write access.
	res := callTool(t, app.Session, "create_task", map[string]any{"title": "should not exist"})
	if !res.IsError {
		t.Fatalf("create_task with a read-only grant succeeded: %s", toolText(res))
	}
	challenges, _ := res.Meta["mcp/www_authenticate"].([]any)
	if len(challenges) != 1 {
		t.Fatalf(`_meta["mcp/www_authenticate"] = %#v, want one challenge`, res.Meta["mcp/www_authenticate"])
	}
	c, _ := challenges[0].(string)
	for _, want := range []string{`Bearer error="insufficient_scope"`, `scope="tasks.write"`,
		`resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource/mcp"`} {
		if !strings.Contains(c, want) {
			t.Errorf("challenge %q lacks %s", c, want)
		}
	}
	listed := callTool(t, app.Session, "list_tasks", map[string]any{})
	var list struct {
		Count int `json:"count"`
	}
	decodeStructured(t, listed, &list)
	if listed.IsError || list.Count != 0 {
		t.Fatalf("after the refused create_task, list_tasks: count %d (error %v)", list.Count, listed.IsError)
	}
	if app.Links() != 1 {
		t.Fatalf("the refused call made the client ask for authorization again (%d links): the in-band refusal must not be an HTTP challenge by default", app.Links())
	}
}

func listTools(t *testing.T, s *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	res, err := s.ListTools(context.Background(), &mcp.ListToolsParams{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	tools := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		tools[tool.Name] = tool
	}
	return tools
}

func callTool(t *testing.T, s *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

func decodeStructured(t *testing.T, res *mcp.CallToolResult, into any) {
	t.Helper()
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("structuredContent %s: %v", raw, err)
	}
}

func toolText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			fmt.Fprintln(&b, tc.Text)
		}
	}
	return b.String()
}
