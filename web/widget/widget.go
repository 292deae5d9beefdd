// Package widget embeds the task board: one self-contained HTML file built
// from web/widget/src by `make widget` and committed as dist/board.html, so
// the Go build needs no Node. It is served as an MCP Apps UI resource
// (ui://, text/html;profile=mcp-app) that ChatGPT and other MCP Apps hosts
// render in a sandboxed iframe under the CSP declared here.
package widget

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

//go:embed dist/board.html
var boardHTML []byte

// MIMEType marks the resource as an MCP Apps view; plain text/html is not
// recognised as an app by MCP Apps hosts.
const MIMEType = "text/html;profile=mcp-app"

// AliasURI is the unversioned name of the board. Tools reference URI(); the
// alias keeps resolving for a host that cached a descriptor naming it.
const AliasURI = "ui://taskbridge/board.html"

// Description is what the host tells the model when the board loads, so it
// does not narrate the tasks the user can already see.
const Description = "Interactive task board showing the listed tasks. The user can complete, reopen, rename, add, " +
	"trash, restore and permanently delete tasks in it; do not repeat the task list in text."

// cacheTTLMs lets hosts keep the template for a day: a new build changes
// URI(), so a cached copy is never stale under its own name.
const cacheTTLMs = 24 * 60 * 60 * 1000

// HTML returns the built board (a copy: callers cannot change the embedded file).
func HTML() []byte { return bytes.Clone(boardHTML) }

// URI names this build of the board: ui://taskbridge/board-<12 hex of
// sha256(html)>.html. Hosts cache templates by URI, so a new build must get
// a new name to be picked up.
func URI() string {
	sum := sha256.Sum256(boardHTML)
	return "ui://taskbridge/board-" + hex.EncodeToString(sum[:])[:12] + ".html"
}

// ResourceMeta is the _meta of the resource: both CSP dialects declaring no
// outside domain at all (the bundle is self-contained and the board reaches
// the server only through the host's tools/call; W1, P3), border and
// description hints. ChatGPT has been seen to build its CSP only from
// openai/widgetCSP, other hosts only from ui.csp, hence both.
//
// domain, when set (TASKBRIDGE_WIDGET_DOMAIN, an https origin), is declared
// as ui.domain and openai/widgetDomain: plugin submission asks for one unique
// per plugin, and ChatGPT uses it for "Open in app" and link handling. Since
// 2026-12-15 it no longer picks the sandbox origin, which ChatGPT derives
// from the MCP URL. Empty declares neither key: Claude drops a frame whose
// ui.domain is not its own, so a guessed default would do harm.
func ResourceMeta(domain string) map[string]any {
	ui := map[string]any{
		"csp": map[string]any{
			"connectDomains":  []string{},
			"resourceDomains": []string{},
		},
		"prefersBorder": true,
	}
	meta := map[string]any{
		"ui": ui,
		"openai/widgetCSP": map[string]any{
			"connect_domains":  []string{},
			"resource_domains": []string{},
		},
		"openai/widgetPrefersBorder": true,
		"openai/widgetDescription":   Description,
	}
	if domain != "" {
		ui["domain"] = domain
		meta["openai/widgetDomain"] = domain
	}
	return meta
}

// Register returns what adds the board, declaring domain (see ResourceMeta),
// to a server under URI() and AliasURI. Both answer resources/read with the
// same HTML and the _meta on the content item, where MCP Apps hosts look
// first.
func Register(domain string) func(s *mcp.Server) {
	return func(s *mcp.Server) {
		for _, uri := range []string{URI(), AliasURI} {
			s.AddResource(&mcp.Resource{
				URI:         uri,
				Name:        "task-board",
				Title:       "Task board",
				Description: Description,
				MIMEType:    MIMEType,
				Meta:        ResourceMeta(domain),
			}, readHandler(uri, domain))
		}
	}
}

func readHandler(uri, domain string) mcp.ResourceHandler {
	return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{
			// Same bytes for every user and no user data: public caching is safe.
			Cacheable: mcp.Cacheable{TTLMs: cacheTTLMs, CacheScope: "public"},
			Contents: []*mcp.ResourceContents{{
				URI:      uri,
				MIMEType: MIMEType,
				Text:     string(boardHTML),
				Meta:     ResourceMeta(domain),
			}},
		}, nil
	}
}
