package mcpapi_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/web/widget"
)

// resourceMeta is the part of the resource _meta a host builds the View's
// CSP from. Pointers tell an empty list (declared: no domain) from a
// missing one (undeclared: the host falls back to its own default).
type resourceMeta struct {
	UI struct {
		CSP *struct {
			ConnectDomains  *[]string `json:"connectDomains"`
			ResourceDomains *[]string `json:"resourceDomains"`
			FrameDomains    []string  `json:"frameDomains"`
		} `json:"csp"`
	} `json:"ui"`
	OpenAICSP *struct {
		ConnectDomains  *[]string `json:"connect_domains"`
		ResourceDomains *[]string `json:"resource_domains"`
		FrameDomains    []string  `json:"frame_domains"`
	} `json:"openai/widgetCSP"`
}

// TestWidgetLinkedAndServedByTheRealHandler wires the board as `taskbridge
// serve` does and checks, through the go-sdk client, what a host sees: the
// resource at widget.URI() is the built board as an MCP Apps view with both
// CSP dialects declaring no outside domain (W1, P3), and every tool that
// renders the board links to exactly that URI in both the MCP Apps and the
// Apps SDK key (a stale or unversioned link would show hosts an old build).
func TestWidgetLinkedAndServedByTheRealHandler(t *testing.T) {
	e := newEnv(t, func(d *mcpapi.Deps) {
		d.Widget = &mcpapi.Widget{URI: widget.URI(), Register: widget.Register("")}
	})
	s := e.client(t, e.newUser(t), readWrite)
	ctx := context.Background()

	res, err := s.ReadResource(ctx, &mcp.ReadResourceParams{URI: widget.URI()})
	if err != nil {
		t.Fatalf("read %s: %v", widget.URI(), err)
	}
	if len(res.Contents) != 1 {
		t.Fatalf("read %s: %d contents", widget.URI(), len(res.Contents))
	}
	c := res.Contents[0]
	if c.URI != widget.URI() || c.MIMEType != "text/html;profile=mcp-app" || c.Text != string(widget.HTML()) {
		t.Errorf("resource: uri %q mimeType %q, %d bytes (want the %d-byte board)", c.URI, c.MIMEType, len(c.Text), len(widget.HTML()))
	}
	raw, err := json.Marshal(c.Meta)
	if err != nil {
		t.Fatal(err)
	}
	var meta resourceMeta
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatalf("resource _meta %s: %v", raw, err)
	}
	if csp := meta.UI.CSP; csp == nil || csp.ConnectDomains == nil || len(*csp.ConnectDomains) != 0 ||
		csp.ResourceDomains == nil || len(*csp.ResourceDomains) != 0 || len(csp.FrameDomains) != 0 {
		t.Errorf("_meta.ui.csp must declare empty connectDomains and resourceDomains: %s", raw)
	}
	if csp := meta.OpenAICSP; csp == nil || csp.ConnectDomains == nil || len(*csp.ConnectDomains) != 0 ||
		csp.ResourceDomains == nil || len(*csp.ResourceDomains) != 0 || len(csp.FrameDomains) != 0 {
		t.Errorf("_meta[openai/widgetCSP] must declare empty connect_domains and resource_domains: %s", raw)
	}

	resources, err := s.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(resources.Resources, func(r *mcp.Resource) bool {
		return r.URI == widget.URI() && r.MIMEType == "text/html;profile=mcp-app"
	}) {
		t.Errorf("resources/list does not list %s as an MCP Apps view", widget.URI())
	}

	tools, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, tool := range tools.Tools {
		ui, _ := tool.Meta["ui"].(map[string]any)
		resourceURI, hasUI := ui["resourceUri"]
		template, hasTemplate := tool.Meta["openai/outputTemplate"]
		if !hasUI && !hasTemplate {
			continue
		}
		linked[tool.Name] = true
		if resourceURI != widget.URI() || template != widget.URI() {
			t.Errorf("%s links _meta.ui.resourceUri %v and openai/outputTemplate %v, want both %s", tool.Name, resourceURI, template, widget.URI())
		}
	}
	// The tools whose results render the board; a tool that loses its link
	// (or gains one) is a reviewed change.
	boardTools := []string{
		"complete_task", "complete_tasks", "create_task", "create_tasks", "delete_task", "get_task",
		"list_tasks", "purge_task", "reopen_task", "restore_task", "show_task_board", "update_task",
	}
	if got := slices.Sorted(maps.Keys(linked)); !slices.Equal(got, boardTools) {
		t.Errorf("tools linked to the board: %v, want %v", got, boardTools)
	}
}
