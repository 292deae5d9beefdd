package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The checks below are what the 2026 hosts and the ChatGPT and Codex plugin
// directory look at beyond the OAuth chain: the 2026-07-28 request shape,
// client ID metadata documents, the domain-verification file, the widget's
// domain, tool annotations and the profile tool.

// modernVersion is the stateless protocol revision (server/discover, per
// request _meta, Mcp-* headers).
const modernVersion = "2026-07-28"

// sharedSandboxOrigin is ChatGPT's default widget origin, shared by every
// plugin: not the unique domain submission asks for.
const sharedSandboxOrigin = "https://web-sandbox.oaiusercontent.com"

// AppsChallengePath is where the plugin submission page looks for its
// domain-verification token, on the MCP URL's host.
const AppsChallengePath = "/.well-known/openai-apps-challenge"

// rpc posts one 2026-07-28 request: the per-request _meta and the
// Mcp-Protocol-Version and Mcp-Method headers (Mcp-Name for a named
// target), and the token when given. It returns the response and the
// decoded JSON-RPC result (nil when there is none).
func (r *run) rpc(ctx context.Context, token, method, name string, params map[string]any) (*http.Response, map[string]any, error) {
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    modernVersion,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "taskbridge-doctor", "version": "1"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.mcpURL.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", modernVersion)
	req.Header.Set("Mcp-Method", method)
	if name != "" {
		req.Header.Set("Mcp-Name", name)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, raw, err := r.do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	var msg struct {
		Result map[string]any `json:"result"`
	}
	_ = json.Unmarshal(raw, &msg) // a non-JSON answer leaves Result nil; callers report the status
	return resp, msg.Result, nil
}

// checkDiscover walks the 2026-07-28 start: server/discover without a
// token must get the same 401 Bearer challenge as initialize, and with one
// it must name 2026-07-28 among the supported versions.
func (r *run) checkDiscover(ctx context.Context) {
	const id = "mcp.discover"
	if r.mcpMissing {
		r.skip(id, "nothing serves MCP at this URL (see mcp.challenge)")
		return
	}
	post := "POST " + r.mcpURL.Redacted() + " server/discover (" + modernVersion + ")"
	resp, _, err := r.rpc(ctx, "", "server/discover", "", nil)
	if err != nil {
		r.fail(id, post+": "+err.Error(), r.unreachableFix(err))
		return
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "bearer") {
		r.fail(id, fmt.Sprintf("%s without a token answered %d (expected 401 with a Bearer challenge, as to initialize)", post, resp.StatusCode),
			"2026 hosts start with server/discover: it must be behind the bearer check like every MCP request; a proxy must pass the Mcp-* headers and WWW-Authenticate through")
		return
	}
	token, ok := r.tokenToSend()
	if !ok {
		r.pass(id, post+" without a token answered 401 with a Bearer challenge (pass --token to check the answer)")
		return
	}
	resp, result, err := r.rpc(ctx, token, "server/discover", "", nil)
	if err != nil {
		r.fail(id, post+" with the token: "+err.Error(), r.unreachableFix(err))
		return
	}
	versions := stringsAt(result, "supportedVersions")
	if resp.StatusCode != http.StatusOK || !slices.Contains(versions, modernVersion) {
		r.fail(id, fmt.Sprintf("%s with the token answered %d, supportedVersions %q", post, resp.StatusCode, versions),
			"serve MCP "+modernVersion+" (go-sdk v1.8.0 or later answers server/discover); a proxy must pass Mcp-Protocol-Version and Mcp-Method through")
		return
	}
	r.pass(id, fmt.Sprintf("%s answers 401 without a token and supportedVersions %q with it", post, versions))
}

// tokenToSend is the operator's token when it may be sent: over https or
// to a loopback address only.
func (r *run) tokenToSend() (string, bool) {
	if r.opts.Token == "" || (r.mcpURL.Scheme != "https" && !isLoopback(r.mcpURL.Hostname())) {
		return "", false
	}
	return r.opts.Token, true
}

// checkCIMD wants client ID metadata documents advertised: ChatGPT, Codex
// and Claude Code identify themselves with one and prefer it to DCR.
func (r *run) checkCIMD() {
	const id = "as.cimd"
	switch {
	case r.asMeta == nil:
		r.skip(id, "no authorization server metadata")
	case r.asMeta.ClientIDMetadataDocumentSupported:
		r.pass(id, "client_id_metadata_document_supported: true (hosts may use their published client ID document)")
	default:
		r.warn(id, "the authorization server metadata does not advertise client_id_metadata_document_supported",
			"ChatGPT, Codex and Claude Code prefer client ID metadata documents and fall back to dynamic registration; taskbridge advertises it, so a proxy or another server answers the metadata")
	}
}

// checkAppsChallenge fetches the domain-verification file the plugin
// submission page reads from the MCP URL's host.
func (r *run) checkAppsChallenge(ctx context.Context) {
	const id = "plugin.challenge"
	u := originOf(r.mcpURL) + AppsChallengePath
	resp, body, err := r.get(ctx, u, nil)
	if err != nil {
		r.fail(id, "GET "+u+": "+err.Error(), r.unreachableFix(err))
		return
	}
	token := strings.TrimSpace(string(body))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		r.unsetForSubmission(id, "GET "+u+" answered 404: no domain-verification token",
			"plugin submission verifies the domain here: set TASKBRIDGE_OPENAI_APPS_CHALLENGE to the token the submission page shows (behind a path prefix, the proxy must route this root path to taskbridge)")
	case resp.StatusCode != http.StatusOK:
		r.fail(id, fmt.Sprintf("GET %s answered %d", u, resp.StatusCode), "serve the token as plain text with 200 (TASKBRIDGE_OPENAI_APPS_CHALLENGE)")
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || token == "" || strings.ContainsAny(token, " \t\r\n<"):
		r.fail(id, fmt.Sprintf("GET %s is %q, not one plain-text token", u, resp.Header.Get("Content-Type")),
			"serve exactly the token, as text/plain (a proxy or another server answers this path)")
	default:
		r.pass(id, fmt.Sprintf("GET %s serves a %d-character token", u, len(token)))
	}
}

// unsetForSubmission reports something only a plugin submission needs:
// a FAIL when checking for one (--submission), else a SKIP that says so.
func (r *run) unsetForSubmission(id, detail, fix string) {
	if r.opts.Submission {
		r.fail(id, detail, fix)
		return
	}
	r.skip(id, detail+"; only a plugin submission needs it ("+fix+"; check with --submission)")
}

// checkWidgetDomain wants _meta.ui.domain and openai/widgetDomain set, equal,
// and an https origin of this deployment's own. Since 2026-12-15 ChatGPT
// derives the sandbox origin from the MCP URL, but submission still asks
// for the domain and "Open in app" uses it.
func (r *run) checkWidgetDomain(uri string, item, listed map[string]any) {
	const id = "widget.domain"
	meta := item
	if stringAt(meta, "ui", "domain") == "" && stringAt(meta, "openai/widgetDomain") == "" {
		meta = listed
	}
	standard, openai := stringAt(meta, "ui", "domain"), stringAt(meta, "openai/widgetDomain")
	switch {
	case standard == "" && openai == "":
		r.unsetForSubmission(id, uri+" declares no widget domain (_meta.ui.domain / openai/widgetDomain)",
			"plugin submission requires one unique to this deployment: set TASKBRIDGE_WIDGET_DOMAIN to an https origin you own, e.g. the public URL's origin")
	case standard != openai:
		r.fail(id, fmt.Sprintf("%s: _meta.ui.domain %q and openai/widgetDomain %q differ", uri, standard, openai),
			"declare the same origin under both keys (TASKBRIDGE_WIDGET_DOMAIN does)")
	case !httpsOrigin(standard):
		r.fail(id, fmt.Sprintf("%s: widget domain %q is not an https origin", uri, standard), "set TASKBRIDGE_WIDGET_DOMAIN to scheme and host only, e.g. https://tasks.example.com")
	case standard == sharedSandboxOrigin:
		r.fail(id, fmt.Sprintf("%s: widget domain %q is ChatGPT's shared default", uri, standard), "declare an origin unique to this deployment (TASKBRIDGE_WIDGET_DOMAIN)")
	default:
		r.pass(id, fmt.Sprintf("%s declares widget domain %s under both keys", uri, standard))
	}
}

func httpsOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil && u.Fragment == ""
}

// requiredHints are the annotations plugin review requires on every tool,
// set explicitly to true or false.
var requiredHints = []string{"readOnlyHint", "destructiveHint", "openWorldHint"}

// checkToolSurface lists the tools the token may call with a 2026-07-28
// request and checks what plugin review reads: the three hints on every
// tool, and a read-only profile tool for multi-account hosts.
func (r *run) checkToolSurface(ctx context.Context) {
	token, ok := r.tokenToSend()
	switch {
	case r.opts.Token == "":
		r.skip("tools", "pass --token to check tool annotations and the profile tool")
		return
	case !ok:
		r.skip("tools", "not sending the token over plain http to "+r.mcpURL.Host+"; fix the URL first")
		return
	}
	post := "POST " + r.mcpURL.Redacted() + " tools/list (" + modernVersion + ")"
	resp, result, err := r.rpc(ctx, token, "tools/list", "", nil)
	if err != nil {
		r.fail("tools.annotations", post+": "+err.Error(), r.unreachableFix(err))
		return
	}
	tools, _ := result["tools"].([]any)
	if resp.StatusCode != http.StatusOK || len(tools) == 0 {
		r.fail("tools.annotations", fmt.Sprintf("%s answered %d with %d tools", post, resp.StatusCode, len(tools)),
			"use a current token granted tasks.read; tools/list shows only the tools the token may call")
		return
	}
	var missing, profiles, writable []string
	for _, t := range tools {
		tool, _ := t.(map[string]any)
		name, _ := tool["name"].(string)
		ann, _ := tool["annotations"].(map[string]any)
		for _, h := range requiredHints {
			if _, isBool := ann[h].(bool); !isBool {
				missing = append(missing, name+"."+h)
			}
		}
		if meta, _ := tool["_meta"].(map[string]any); meta["openai/profile"] == true {
			profiles = append(profiles, name)
			if ann["readOnlyHint"] != true {
				writable = append(writable, name)
			}
		}
	}
	if len(missing) > 0 {
		r.fail("tools.annotations", fmt.Sprintf("hints not set to true or false: %s", strings.Join(missing, ", ")),
			"plugin review requires readOnlyHint, destructiveHint and openWorldHint on every tool, explicitly true or false")
	} else {
		r.pass("tools.annotations", fmt.Sprintf("%d tools, each with readOnlyHint, destructiveHint and openWorldHint set", len(tools)))
	}
	switch {
	case len(writable) > 0:
		r.fail("tools.profile", "profile tool "+strings.Join(writable, ", ")+" is not marked readOnlyHint: true", "the profile tool only reads the account: mark it read-only")
	case len(profiles) == 0:
		r.warn("tools.profile", "no tool is marked _meta[\"openai/profile\"]",
			"hosts label linked accounts with a read-only profile tool (taskbridge's get_account_profile); without it, two linked accounts look alike")
	default:
		r.pass("tools.profile", "profile tool "+strings.Join(profiles, ", "))
	}
}
