package widget_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/web/widget"
)

// TestURIIsVersionedByContent: a new build gets a new ui:// name, so hosts
// that cache templates by URI pick it up.
func TestURIIsVersionedByContent(t *testing.T) {
	sum := sha256.Sum256(widget.HTML())
	want := "ui://taskbridge/board-" + hex.EncodeToString(sum[:])[:12] + ".html"
	if got := widget.URI(); got != want {
		t.Fatalf("URI() = %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^ui://taskbridge/board-[0-9a-f]{12}\.html$`).MatchString(widget.URI()) {
		t.Fatalf("URI() = %q does not have the versioned form", widget.URI())
	}
}

func TestHTMLReturnsACopy(t *testing.T) {
	h := widget.HTML()
	h[0] = 'X'
	if widget.HTML()[0] == 'X' {
		t.Fatal("HTML() exposes the embedded bytes")
	}
}

// TestResourceMetaDeclaresNoOutsideDomain (W1, P3): both CSP dialects are
// present and every domain list is empty; no frame, base-uri or redirect
// domains, no permissions.
func TestResourceMetaDeclaresNoOutsideDomain(t *testing.T) {
	raw, err := json.Marshal(widget.ResourceMeta(""))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		UI struct {
			CSP           map[string][]string `json:"csp"`
			PrefersBorder *bool               `json:"prefersBorder"`
			Permissions   any                 `json:"permissions"`
			Domain        any                 `json:"domain"`
		} `json:"ui"`
		OpenAICSP     map[string][]string `json:"openai/widgetCSP"`
		PrefersBorder *bool               `json:"openai/widgetPrefersBorder"`
		Description   string              `json:"openai/widgetDescription"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	wantKeys := func(name string, m map[string][]string, keys ...string) {
		t.Helper()
		if len(m) != len(keys) {
			t.Errorf("%s has keys %v, want exactly %v", name, m, keys)
		}
		for _, k := range keys {
			v, ok := m[k]
			if !ok || v == nil {
				t.Errorf("%s.%s missing (must be an explicit empty list)", name, k)
			}
			if len(v) != 0 {
				t.Errorf("%s.%s = %v, want no domains", name, k, v)
			}
		}
	}
	wantKeys("ui.csp", meta.UI.CSP, "connectDomains", "resourceDomains")
	wantKeys("openai/widgetCSP", meta.OpenAICSP, "connect_domains", "resource_domains")
	if meta.UI.Permissions != nil || meta.UI.Domain != nil {
		t.Errorf("ui.permissions/ui.domain must not be declared: %s", raw)
	}
	if meta.UI.PrefersBorder == nil || meta.PrefersBorder == nil {
		t.Errorf("border hints missing: %s", raw)
	}
	if meta.Description == "" {
		t.Error("openai/widgetDescription missing")
	}
}

// htmlSinks are the ways to turn data into markup or code. The widget uses
// createElement + textContent only (I6), and nothing is loaded from outside
// the file (W2, P3). scripts/check-dist.mjs runs the same checks at build
// time; this test catches a committed file without Node.
var forbiddenInBundle = map[string]*regexp.Regexp{
	"innerHTML":                regexp.MustCompile(`\binnerHTML\b`),
	"outerHTML":                regexp.MustCompile(`\bouterHTML\b`),
	"insertAdjacentHTML":       regexp.MustCompile(`\binsertAdjacentHTML\b`),
	"document.write":           regexp.MustCompile(`\bdocument\s*\.\s*write(ln)?\b`),
	"DOMParser":                regexp.MustCompile(`\bDOMParser\b`),
	"createContextualFragment": regexp.MustCompile(`\bcreateContextualFragment\b`),
	"srcdoc":                   regexp.MustCompile(`\bsrcdoc\b`),
	"eval":                     regexp.MustCompile(`(^|[^.\w$])eval\s*\(`),
	"new Function":             regexp.MustCompile(`\bnew\s+Function\s*\(`),
	"outside URL":              regexp.MustCompile(`(?i)\b(https?|wss?|ftp)://`),
	"protocol-relative ref":    regexp.MustCompile(`(?i)\b(src|href|action)\s*=\s*["']?//`),
	"external script":          regexp.MustCompile(`(?i)<script\b[^>]*\bsrc\s*=`),
	"external stylesheet":      regexp.MustCompile(`(?i)<link\b[^>]*\bhref\s*=`),
	"CSS @import":              regexp.MustCompile(`(?i)@import\b`),
	"localStorage":             regexp.MustCompile(`\blocalStorage\b`),
	"sessionStorage":           regexp.MustCompile(`\bsessionStorage\b`),
	"indexedDB":                regexp.MustCompile(`\bindexedDB\b`),
	"document.cookie":          regexp.MustCompile(`\bdocument\s*\.\s*cookie\b`),
}

func TestBundleHasNoHTMLSinksOrOutsideReferences(t *testing.T) {
	html := string(widget.HTML())
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(html)), "<!doctype html>") {
		t.Fatal("board.html is not a full HTML5 document")
	}
	for name, re := range forbiddenInBundle {
		if loc := re.FindStringIndex(html); loc != nil {
			from := max(0, loc[0]-40)
			t.Errorf("bundle contains %s: …%s…", name, html[from:min(len(html), loc[1]+40)])
		}
	}
}

// TestForbiddenPatternsCatchSinks proves the scan above is not vacuous.
func TestForbiddenPatternsCatchSinks(t *testing.T) {
	samples := map[string]string{
		"innerHTML":       `el.innerHTML = t.title`,
		"outside URL":     `fetch("https://evil.example/x")`,
		"eval":            `;eval("1")`,
		"external script": `<script src="/x.js">`,
		"document.write":  `document.write(x)`,
	}
	for name, sample := range samples {
		if !forbiddenInBundle[name].MatchString(sample) {
			t.Errorf("pattern %s does not catch %q", name, sample)
		}
	}
}

// TestRegisterResourceServesBothURIs reads the board through a real go-sdk
// client over streamable HTTP, as a host does.
func TestRegisterResourceServesBothURIs(t *testing.T) {
	ctx := context.Background()
	srv := mcp.NewServer(&mcp.Implementation{Name: "widget-test", Version: "1"}, nil)
	widget.Register("")(srv)
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}))
	defer ts.Close()

	client := mcp.NewClient(&mcp.Implementation{Name: "host", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cs.Close() }()

	for _, uri := range []string{widget.URI(), widget.AliasURI} {
		res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		if len(res.Contents) != 1 {
			t.Fatalf("read %s: %d contents", uri, len(res.Contents))
		}
		c := res.Contents[0]
		if c.URI != uri || c.MIMEType != widget.MIMEType || c.Text != string(widget.HTML()) {
			t.Errorf("read %s: uri %q mime %q, %d bytes of text", uri, c.URI, c.MIMEType, len(c.Text))
		}
		gotMeta, _ := json.Marshal(c.Meta)
		wantMeta, _ := json.Marshal(widget.ResourceMeta(""))
		if string(gotMeta) != string(wantMeta) {
			t.Errorf("read %s: content _meta = %s, want %s", uri, gotMeta, wantMeta)
		}
	}

	list, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range list.Resources {
		if r.URI == widget.URI() && r.MIMEType == widget.MIMEType && r.Meta["ui"] != nil {
			found = true
		}
	}
	if !found {
		t.Errorf("resources/list does not list %s with its _meta", widget.URI())
	}
}

// TestWidgetDomainDeclaredOnlyWhenSet reads the board through a real client:
// with a domain configured, resources/read and resources/list carry it as
// ui.domain and openai/widgetDomain; without one, neither key appears
// (Claude drops a frame whose ui.domain is not its own).
func TestWidgetDomainDeclaredOnlyWhenSet(t *testing.T) {
	for _, domain := range []string{"https://tasks.example.com", ""} {
		srv := mcp.NewServer(&mcp.Implementation{Name: "widget-test", Version: "1"}, nil)
		widget.Register(domain)(srv)
		ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
			&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}))
		client := mcp.NewClient(&mcp.Implementation{Name: "host", Version: "1"}, nil)
		cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: ts.URL, DisableStandaloneSSE: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: widget.URI()})
		if err != nil {
			t.Fatal(err)
		}
		list, err := cs.ListResources(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for where, meta := range map[string]mcp.Meta{"read": res.Contents[0].Meta, "list": list.Resources[0].Meta} {
			ui, _ := meta["ui"].(map[string]any)
			gotUI, hasUI := ui["domain"]
			gotOpenAI, hasOpenAI := meta["openai/widgetDomain"]
			if domain == "" {
				if hasUI || hasOpenAI {
					t.Errorf("%s without a domain: ui.domain %v, openai/widgetDomain %v", where, gotUI, gotOpenAI)
				}
				continue
			}
			if gotUI != domain || gotOpenAI != domain {
				t.Errorf("%s: ui.domain %v, openai/widgetDomain %v, want %s", where, gotUI, gotOpenAI, domain)
			}
		}
		_ = cs.Close()
		ts.Close()
	}
}
