package doctor

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// initializeBody is the first request every host sends. The doctor sends no
// Origin header: browsers' Origin is checked against DNS rebinding, and a
// host's server-side fetch has none either.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"taskbridge-doctor","version":"1"}}}`

// checkChallenge is step b: an unauthenticated initialize must get 401 with
// a Bearer challenge naming the resource metadata. It reports whether the
// server answered at all. Every detail names the request (POST and the URL).
func (r *run) checkChallenge(ctx context.Context) bool {
	const id = "mcp.challenge"
	post := "POST " + r.mcpURL.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.mcpURL.String(), strings.NewReader(initializeBody))
	if err != nil {
		r.fail(id, post+": "+err.Error(), "pass the MCP URL exactly as you type it into the host")
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, body, err := r.do(ctx, req)
	if err != nil {
		r.fail(id, "no answer: "+err.Error(), r.unreachableFix(err))
		return false
	}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return r.checkChallengeHeader(post, resp)
	case code >= 200 && code < 300:
		r.fail(id, fmt.Sprintf("%s (initialize without a token) answered %d: the MCP endpoint is not protected", post, code),
			"every MCP request must need a token: make sure this URL reaches taskbridge's /mcp (which is always behind the bearer middleware) and not another server or a proxy that answers itself")
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		r.mcpMissing = true
		r.fail(id, fmt.Sprintf("%s answered %d: nothing serves MCP at this URL", post, code),
			"the MCP endpoint is TASKBRIDGE_PUBLIC_URL + /mcp; check the path, and any path prefix your reverse proxy adds or strips")
	case code >= 300 && code < 400:
		r.fail(id, fmt.Sprintf("%s answered %d redirect to %q", post, code, resp.Header.Get("Location")), redirectFix(resp))
	case code == http.StatusForbidden:
		r.fail(id, post+" answered 403 to a request without a token (expected 401)",
			"something refuses the request before authentication: a WAF, an IP allowlist, or the Host check against DNS rebinding (TASKBRIDGE_PUBLIC_URL must name the host you typed)")
	case code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		r.fail(id, fmt.Sprintf("%s answered %d: the proxy in front cannot reach taskbridge", post, code),
			"start the server (taskbridge serve) and check the proxy's upstream address and health check (/readyz)")
	case code == http.StatusBadRequest && r.mcpURL.Scheme == "http" && bytes.Contains(body, []byte("HTTP request to an HTTPS server")):
		https := *r.mcpURL
		https.Scheme = "https"
		r.fail(id, fmt.Sprintf("%s answered 400: this address speaks https, not http", post),
			"type "+https.String()+" into the host (and check that URL with the doctor)")
	default:
		r.fail(id, fmt.Sprintf("%s (initialize without a token) answered %d (expected 401)", post, code),
			"the MCP endpoint must answer 401 with WWW-Authenticate to an unauthenticated request; check the server logs for this request")
	}
	return true
}

// redirectFix is the advice for a redirected MCP POST: hosts do not follow
// it, so the URL to type is where it leads, when that is an MCP URL.
func redirectFix(resp *http.Response) string {
	const never = "hosts do not follow redirects on MCP POSTs: "
	target, err := resp.Location()
	if err != nil {
		return never + "type the final URL into the host (often https instead of http, or no trailing slash)"
	}
	target.User = nil
	if target.RawQuery == "" && target.Fragment == "" && strings.HasSuffix(target.Path, "/mcp") {
		return never + "type " + target.String() + " into the host, and check that URL with the doctor"
	}
	return never + "type the URL that answers without a redirect into the host (ending in /mcp; often https instead of http); a proxy that redirects " + resp.Request.URL.Path + " to " + target.Redacted() + " must forward it instead"
}

// checkChallengeHeader checks the 401's WWW-Authenticate.
func (r *run) checkChallengeHeader(post string, resp *http.Response) bool {
	const id = "mcp.challenge"
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) == 0 {
		r.fail(id, post+" answered 401 without a WWW-Authenticate header",
			"taskbridge always sends WWW-Authenticate: Bearer resource_metadata=\"...\" with its 401; if a reverse proxy or tunnel sits in front, it strips the header: configure it to pass WWW-Authenticate through unchanged")
		return true
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil {
		r.fail(id, fmt.Sprintf("%s answered 401 with a WWW-Authenticate %q that cannot be parsed: %v", post, strings.Join(values, ", "), err),
			"send an RFC 7235 challenge: Bearer resource_metadata=\"https://host/.well-known/oauth-protected-resource/mcp\"")
		return true
	}
	for _, c := range challenges {
		if c.Scheme != "bearer" {
			continue
		}
		prm := c.Params["resource_metadata"]
		if prm == "" {
			r.fail(id, fmt.Sprintf("%s answered 401 with a Bearer challenge without resource_metadata: %q", post, strings.Join(values, ", ")),
				"add resource_metadata=\"<PRM URL>\" to the challenge; hosts use it to find the authorization server (a proxy may have rewritten the header)")
			return true
		}
		r.challengePRM = prm
		r.pass(id, fmt.Sprintf("%s answered 401 with WWW-Authenticate: Bearer resource_metadata=%q", post, prm))
		return true
	}
	r.fail(id, fmt.Sprintf("%s answered 401 without a Bearer challenge: %q", post, strings.Join(values, ", ")),
		"the challenge must use the Bearer scheme; a proxy asking for Basic auth in front of /mcp blocks every host: remove it")
	return true
}
