package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/dev/doctor"
)

// TestPluginSurfaceOfTheRealServer configures what plugin submission reads
// (the widget domain, the verification token) and checks it from the
// outside: the token at /.well-known/openai-apps-challenge, the domain on
// the widget resource, the profile tool of a read-only connection naming
// the account shortened, and every new doctor step passing.
func TestPluginSurfaceOfTheRealServer(t *testing.T) {
	const domain, token = "https://tasks.example.com", "oai-verify-0123456789abcdef"
	srv := startServerWith(t, map[string]string{"TASKBRIDGE_WIDGET_DOMAIN": domain, "TASKBRIDGE_OPENAI_APPS_CHALLENGE": token})

	resp, err := http.Get(srv.URL + doctor.AppsChallengePath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != token || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("challenge file: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{})
	ctx := context.Background()

	var boardURI string
	for tool, err := range app.Session.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if tool.Name == "show_task_board" {
			boardURI, _ = tool.Meta["openai/outputTemplate"].(string)
		}
	}
	res, err := app.Session.ReadResource(ctx, &mcp.ReadResourceParams{URI: boardURI})
	if err != nil {
		t.Fatal(err)
	}
	meta := res.Contents[0].Meta
	if ui, _ := meta["ui"].(map[string]any); ui["domain"] != domain || meta["openai/widgetDomain"] != domain {
		t.Errorf("widget _meta has ui.domain %v and openai/widgetDomain %v, want %s", ui["domain"], meta["openai/widgetDomain"], domain)
	}

	call, err := app.Session.CallTool(ctx, &mcp.CallToolParams{Name: "get_account_profile", Arguments: map[string]any{}})
	if err != nil || call.IsError {
		t.Fatalf("get_account_profile: %v %+v", err, call)
	}
	raw, _ := json.Marshal(call.StructuredContent)
	var profile struct{ ID, Name string }
	_ = json.Unmarshal(raw, &profile)
	if want := p.Email[:2] + "…@example.test"; profile.Name != want || profile.ID == "" {
		t.Errorf("profile %s, want name %q and an id", raw, want)
	}

	var out bytes.Buffer
	rep, err := doctor.Run(ctx, doctor.Options{URL: srv.MCPURL(), Token: app.AccessToken(t), Timeout: 10 * time.Second, Submission: true}, &out)
	if err != nil || rep.Failed() {
		t.Fatalf("doctor --submission: %v\n%s", err, out.String())
	}
	for _, id := range []string{"mcp.discover", "as.cimd", "plugin.challenge", "tools.annotations", "tools.profile", "widget.domain"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("%s did not pass against the real server\n%s", id, out.String())
		}
	}
}

// TestPluginSurfaceUnsetDeclaresNothing: without the variables the
// verification path is a plain 404; a plain doctor run skips both checks
// with the advice, and --submission fails them.
func TestPluginSurfaceUnsetDeclaresNothing(t *testing.T) {
	srv := startServer(t)
	resp, err := http.Get(srv.URL + doctor.AppsChallengePath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("challenge file without configuration: %d, want 404", resp.StatusCode)
	}
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{})
	for _, submission := range []bool{false, true} {
		var out bytes.Buffer
		rep, err := doctor.Run(context.Background(), doctor.Options{URL: srv.MCPURL(), Token: app.AccessToken(t), Timeout: 10 * time.Second, Submission: submission}, &out)
		if err != nil || rep.Failed() != submission {
			t.Fatalf("doctor (submission %v): %v, failed %v\n%s", submission, err, rep.Failed(), out.String())
		}
		want := doctor.Skip
		if submission {
			want = doctor.Fail
		}
		for _, id := range []string{"plugin.challenge", "widget.domain"} {
			if c, ok := rep.Find(id); !ok || c.Status != want {
				t.Errorf("%s (submission %v): %+v, want %s\n%s", id, submission, c, want, out.String())
			}
		}
	}
}
