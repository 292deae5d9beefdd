package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// initializeBody is the first request every host sends. The doctor sends no
// Origin header: browsers' Origin is checked against DNS rebinding, and a
// host's server-side fetch has none either.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"taskbridge-doctor","version":"1"}}}`

// checkChallenge is step b: an unauthenticated initialize must get 401 with
// a Bearer challenge naming the resource metadata. It reports whether the
// server answered at all.
func (r *run) checkChallenge(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.mcpURL.String(), strings.NewReader(initializeBody))
	if err != nil {
		r.fail("mcp.challenge", err.Error(), "pass the MCP URL exactly as you type it into the host")
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, _, err := r.do(ctx, req)
	if err != nil {
		r.fail("mcp.challenge", "no answer: "+err.Error(), unreachableFix(err, r.mcpURL))
		return false
	}
	const id = "mcp.challenge"
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return r.checkChallengeHeader(resp)
	case code >= 200 && code < 300:
		r.fail(id, fmt.Sprintf("initialize without a token answered %d: the MCP endpoint is not protected", code),
			"every MCP request must need a token: make sure this URL reaches taskbridge's /mcp (which is always behind the bearer middleware) and not another server or a proxy that answers itself")
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		r.fail(id, fmt.Sprintf("POST %s answered %d: nothing serves MCP at this path", r.mcpURL.Path, code),
			"the MCP endpoint is TASKBRIDGE_PUBLIC_URL + /mcp; check the path you typed and any path prefix your reverse proxy adds or strips")
	case code >= 300 && code < 400:
		r.fail(id, fmt.Sprintf("answered %d redirect to %q", code, resp.Header.Get("Location")),
			"hosts do not follow redirects on MCP POSTs: type the final URL into the host (often https instead of http, or no trailing slash)")
	case code == http.StatusForbidden:
		r.fail(id, "answered 403 to a request without a token (expected 401)",
			"something refuses the request before authentication: a WAF, an IP allowlist, or the Host check against DNS rebinding (TASKBRIDGE_PUBLIC_URL must name the host you typed)")
	case code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		r.fail(id, fmt.Sprintf("answered %d: the proxy in front cannot reach taskbridge", code),
			"start the server (taskbridge serve) and check the proxy's upstream address and health check (/readyz)")
	default:
		r.fail(id, fmt.Sprintf("initialize without a token answered %d (expected 401)", code),
			"the MCP endpoint must answer 401 with WWW-Authenticate to an unauthenticated request; check the server logs for this request")
	}
	return true
}

// checkChallengeHeader checks the 401's WWW-Authenticate.
func (r *run) checkChallengeHeader(resp *http.Response) bool {
	const id = "mcp.challenge"
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) == 0 {
		r.fail(id, "401 without a WWW-Authenticate header",
			"taskbridge always sends WWW-Authenticate: Bearer resource_metadata=\"...\" with its 401; if a reverse proxy or tunnel sits in front, it strips the header: configure it to pass WWW-Authenticate through unchanged")
		return true
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil {
		r.fail(id, fmt.Sprintf("WWW-Authenticate %q cannot be parsed: %v", strings.Join(values, ", "), err),
			"send an RFC 7235 challenge: Bearer resource_metadata=\"https://host/.well-known/oauth-protected-resource/mcp\"")
		return true
	}
	for _, c := range challenges {
		if c.Scheme != "bearer" {
			continue
		}
		prm := c.Params["resource_metadata"]
		if prm == "" {
			r.fail(id, fmt.Sprintf("401 Bearer challenge without resource_metadata: %q", strings.Join(values, ", ")),
				"add resource_metadata=\"<PRM URL>\" to the challenge; hosts use it to find the authorization server (a proxy may have rewritten the header)")
			return true
		}
		r.challengePRM = prm
		r.pass(id, fmt.Sprintf("401 with WWW-Authenticate: Bearer resource_metadata=%q", prm))
		return true
	}
	r.fail(id, fmt.Sprintf("401 without a Bearer challenge: %q", strings.Join(values, ", ")),
		"the challenge must use the Bearer scheme; a proxy asking for Basic auth in front of /mcp blocks every host: remove it")
	return true
}

// unreachableFix turns a transport error for a request to u into advice.
func unreachableFix(err error, u *url.URL) string {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority):
		return "the certificate is not signed by a trusted authority: use a publicly trusted certificate (Caddy in deploy/ gets one from Let's Encrypt); hosts never accept self-signed certificates"
	case errors.As(err, &hostname):
		return fmt.Sprintf("the certificate is not valid for %s: issue it for exactly this name", u.Hostname())
	case errors.As(err, &invalid):
		return "the certificate is expired or not yet valid: renew it"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		return "the server did not answer in time: check that it runs and that the tunnel or proxy forwards to it (raise --timeout for slow links)"
	case errors.Is(err, errBodyTooLarge):
		return fmt.Sprintf("the answer is larger than %d MiB, and what the doctor reads here is a few kilobytes at most: something other than taskbridge answers this URL; check the proxy's routing for it", maxBody>>20)
	}
	return fmt.Sprintf("check that %s resolves and accepts connections from here (tunnel running? firewall? server started?)", u.Host)
}
