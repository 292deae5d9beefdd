package doctor

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// WidgetMIMEType is the MCP Apps template type; plain text/html is not an app.
const WidgetMIMEType = "text/html;profile=mcp-app"

// refreshAdvice is how to get a host to load a new widget template.
const refreshAdvice = "hosts cache widget templates by their ui:// URI: after a widget change the URI must change (taskbridge versions it by content hash), then press Refresh on the plugin's details page in ChatGPT or reconnect the connector in Claude"

// versionedURI matches a ui:// URI that changes with the content: a hash
// or version in the file name, or a ?v= query.
var versionedURI = regexp.MustCompile(`^ui://[^?#]+(-[0-9a-f]{8,}|-v[0-9]+)\.html$|^ui://[^?#]+\?(.*&)?v=[^&]+`)

// checkWidget is step f: through a real MCP client with the operator's
// token, the tools point at a widget resource that exists, is an MCP App,
// declares both CSP dialects without outside domains, and is versioned.
func (r *run) checkWidget(ctx context.Context) {
	if r.opts.Token == "" {
		r.skip("widget", "pass --token to check the widget (stale widget templates are the second most common failure: "+refreshAdvice+")")
		return
	}
	token, ok := r.tokenToSend()
	if !ok {
		r.skip("widget", "not sending the token over plain http to "+r.mcpURL.Host+"; fix the URL first")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*r.opts.Timeout)
	defer cancel()

	httpClient := newClient(r.mcpURL, bearerTransport{token: token, next: r.opts.Transport}, r.opts.Timeout)
	client := mcp.NewClient(&mcp.Implementation{Name: "taskbridge-doctor", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             r.mcpURL.String(),
		HTTPClient:           httpClient,
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		r.fail("widget.connect", "MCP initialize with the token failed (POST "+r.mcpURL.Redacted()+"): "+err.Error(), tokenFix(err, "initialize"))
		return
	}
	defer session.Close()

	uris, ok := r.widgetToolLinks(ctx, session)
	if !ok {
		return
	}
	listed := listedResourceMeta(ctx, session)
	for _, uri := range uris {
		r.checkWidgetResource(ctx, session, uri, listed[uri])
	}
}

// widgetScope is the scope the widget's render tool needs.
const widgetScope = identity.ScopeTasksRead

// tokenFix turns the go-sdk client's error for an MCP request (method,
// e.g. "initialize") made with the operator's token into advice.
func tokenFix(err error, method string) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "Unauthorized"):
		return "the server refused the token: pass a current access token for this server (tokens are short-lived; get a fresh one, e.g. from MCP Inspector's OAuth flow)"
	case strings.Contains(msg, "Forbidden"):
		return "the token lacks a scope: use a token granted " + string(widgetScope)
	case strings.Contains(msg, "Not Found"):
		return "nothing serves MCP at this URL (see mcp.challenge)"
	}
	return "the MCP endpoint did not complete " + method + "; check the server logs"
}

// widgetToolLinks lists the tools and returns the widget URIs they name.
func (r *run) widgetToolLinks(ctx context.Context, session *mcp.ClientSession) ([]string, bool) {
	const id = "widget.tools"
	var uris []string
	var names []string
	var broken bool
	for tool, err := range session.Tools(ctx, nil) {
		if err != nil {
			r.fail(id, "tools/list failed (POST "+r.mcpURL.Redacted()+"): "+err.Error(), tokenFix(err, "tools/list"))
			return nil, false
		}
		names = append(names, tool.Name)
		standard := stringAt(tool.Meta, "ui", "resourceUri")
		openai := stringAt(tool.Meta, "openai/outputTemplate")
		if standard == "" && openai == "" {
			continue
		}
		if standard != openai {
			broken = true
			r.fail(id, fmt.Sprintf("tool %s: _meta.ui.resourceUri %q and openai/outputTemplate %q differ", tool.Name, standard, openai),
				"set both keys to the same widget URI (widget.URI()); ChatGPT reads openai/outputTemplate, other hosts ui.resourceUri")
			continue
		}
		if !slices.Contains(uris, standard) {
			uris = append(uris, standard)
		}
	}
	switch {
	case len(names) == 0:
		r.fail(id, "tools/list returned no tools", "use a token granted "+string(widgetScope)+"; tools/list shows only the tools the token may call")
		return nil, false
	case len(uris) == 0 && !broken:
		r.fail(id, fmt.Sprintf("none of the %d tools names a widget (_meta.ui.resourceUri / openai/outputTemplate)", len(names)),
			"the render tool (show_task_board) must carry both keys with widget.URI(), or hosts show text only")
		return nil, false
	case !broken:
		slices.Sort(uris)
		r.pass(id, fmt.Sprintf("%d tools; widget template %s", len(names), strings.Join(uris, ", ")))
	}
	return uris, true
}

// listedResourceMeta is the resources/list _meta of each resource: hosts
// fall back to it when the read content item carries none.
func listedResourceMeta(ctx context.Context, session *mcp.ClientSession) map[string]mcp.Meta {
	out := map[string]mcp.Meta{}
	for res, err := range session.Resources(ctx, nil) {
		if err != nil {
			break
		}
		out[res.URI] = res.Meta
	}
	return out
}

// checkWidgetResource reads one widget template and checks it.
func (r *run) checkWidgetResource(ctx context.Context, session *mcp.ClientSession, uri string, listed mcp.Meta) {
	if !versionedURI.MatchString(uri) {
		r.fail("widget.version", fmt.Sprintf("widget URI %q carries no version", uri),
			"put a content hash or version in the URI (ui://taskbridge/board-<hash>.html): "+refreshAdvice)
	} else {
		r.pass("widget.version", fmt.Sprintf("%s is versioned", uri))
	}
	res, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
	if err != nil || len(res.Contents) == 0 {
		detail := fmt.Sprintf("resources/read %s found nothing", uri)
		if err != nil {
			detail = fmt.Sprintf("resources/read %s failed: %v", uri, err)
		}
		r.fail("widget.resource", detail,
			"a tool names a template the server does not serve (a stale URI): register the widget with widget.Register and name it with widget.URI() in every tool; "+refreshAdvice)
		return
	}
	item := res.Contents[0]
	for _, c := range res.Contents {
		if c.URI == uri {
			item = c
			break
		}
	}
	if item.Text == "" && len(item.Blob) == 0 {
		r.fail("widget.resource", fmt.Sprintf("%s has no content", uri), "serve the built single-file HTML (web/widget/dist/board.html)")
		return
	}
	if item.MIMEType != WidgetMIMEType {
		r.fail("widget.mime", fmt.Sprintf("%s has mimeType %q", uri, item.MIMEType),
			"serve the template as "+WidgetMIMEType+"; MCP Apps hosts do not render other types as apps")
	} else {
		r.pass("widget.mime", uri+" is "+WidgetMIMEType)
	}
	r.checkWidgetCSP(uri, item.Meta, listed)
	r.checkWidgetDomain(uri, item.Meta, listed)
}

// checkWidgetCSP wants both CSP dialects, each declaring no outside domain:
// the widget is one self-contained file and talks only to its host.
func (r *run) checkWidgetCSP(uri string, item, listed mcp.Meta) {
	const id = "widget.csp"
	type dialect struct {
		name   string
		path   []string
		fields []string
	}
	dialects := []dialect{
		{"_meta.ui.csp", []string{"ui", "csp"}, []string{"connectDomains", "resourceDomains", "frameDomains", "baseUriDomains"}},
		{"_meta[\"openai/widgetCSP\"]", []string{"openai/widgetCSP"}, []string{"connect_domains", "resource_domains", "frame_domains", "redirect_domains"}},
	}
	ok := true
	for _, d := range dialects {
		csp, found := mapAt(item, d.path...)
		if !found {
			csp, found = mapAt(listed, d.path...)
		}
		if !found {
			ok = false
			r.fail(id, fmt.Sprintf("%s declares no %s", uri, d.name),
				"declare both dialects on the resource (widget.ResourceMeta): ChatGPT reads openai/widgetCSP, MCP Apps hosts read ui.csp, and each falls back to a default that may block the widget")
			continue
		}
		for _, f := range d.fields {
			if domains := stringsAt(csp, f); len(domains) > 0 {
				ok = false
				r.fail(id, fmt.Sprintf("%s %s.%s lists outside domains %q", uri, d.name, f, domains),
					"the widget must be self-contained (assets inlined, data only through the host bridge): remove the domains, or bundle what they served")
			}
		}
	}
	if ok {
		r.pass(id, uri+": both CSP dialects present, no outside domains")
	}
}

// mapAt walks nested JSON objects.
func mapAt(m map[string]any, path ...string) (map[string]any, bool) {
	cur := m
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// stringAt is the string at path, or "".
func stringAt(m map[string]any, path ...string) string {
	if len(path) == 0 {
		return ""
	}
	parent, ok := mapAt(m, path[:len(path)-1]...)
	if !ok {
		return ""
	}
	s, _ := parent[path[len(path)-1]].(string)
	return s
}

// stringsAt is the non-empty strings of the array at key.
func stringsAt(m map[string]any, key string) []string {
	arr, _ := m[key].([]any)
	var out []string
	for _, v := range arr {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		} else if !ok {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}
