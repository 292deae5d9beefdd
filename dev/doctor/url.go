package doctor

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// checkURL is step a: the URL as typed into the host. It reports false when
// the URL cannot be used at all (the rest of the walk is skipped). A URL
// with a fixable shape (the base URL, a trailing slash, a query) fails
// here, naming the MCP URL to type instead, and the walk checks that one:
// every later line then talks about the URL the user is told to use.
func (r *run) checkURL() bool {
	raw := r.opts.URL
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		r.fail("url", "no URL to check", "pass --url https://your.host/mcp, or set TASKBRIDGE_PUBLIC_URL")
		return false
	case err != nil:
		r.fail("url", fmt.Sprintf("%q is not a URL: %v", raw, err), "pass the MCP URL exactly as you type it into the host, e.g. https://tasks.example.com/mcp")
		return false
	case u.Scheme != "http" && u.Scheme != "https":
		r.fail("url", fmt.Sprintf("%q: scheme %q is not https", raw, u.Scheme), "use https://host/mcp")
		return false
	case u.Hostname() == "":
		r.fail("url", fmt.Sprintf("%q has no host", raw), "use https://host/mcp")
		return false
	case u.User != nil:
		r.fail("url", "the URL contains user information (user:password@)", "remove it: hosts authenticate with OAuth, never with credentials in the URL")
		return false
	}
	endpoint := mcpEndpoint(u)
	r.mcpURL = endpoint
	ok := true
	switch {
	case u.Scheme == "http" && internalName(u.Hostname()):
		ok = false
		r.fail("url", fmt.Sprintf("%s uses plain http and the host name %q, which only containers or machines on this network can resolve", raw, u.Hostname()),
			"hosts never reach the server by this name: they use TASKBRIDGE_PUBLIC_URL + /mcp (https, or http on localhost for a host on the same machine); check that URL to see what hosts see")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		ok = false
		https := *endpoint
		https.Scheme = "https"
		r.fail("url", fmt.Sprintf("%s uses plain http", raw),
			fmt.Sprintf("hosts require https outside localhost: put TLS in front (see deploy/) or use a tunnel, then type %s into the host and set TASKBRIDGE_PUBLIC_URL=%s", https.String(), publicBase(https.String())))
	}
	if !r.checkURLShape(raw, u, endpoint) {
		ok = false
	}
	if ok {
		r.pass("url", raw)
	}
	return true
}

// checkURLShape fails each way the typed URL differs from the MCP URL it
// stands for, naming that URL in the fix, and reports whether none did.
func (r *run) checkURLShape(raw string, u, endpoint *url.URL) bool {
	mcp := endpoint.String()
	checksBelow := "; the checks below use " + mcp
	ok := true
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#") || u.ForceQuery {
		ok = false
		r.fail("url", fmt.Sprintf("%s has a query or fragment", raw),
			"remove everything from ? or #: the URL is the OAuth resource identifier and must be exactly scheme://host/path: type "+mcp+" into the host"+checksBelow)
	}
	path := strings.TrimRight(u.Path, "/")
	switch {
	case path == "":
		ok = false
		r.fail("url", fmt.Sprintf("%s has no path: it is a base URL, not the MCP endpoint", raw),
			"add /mcp: type "+mcp+" into the host"+checksBelow)
	case strings.EqualFold(path, endpoint.Path) && path != u.Path:
		ok = false
		r.fail("url", fmt.Sprintf("%s ends with a slash", raw),
			"type "+mcp+" into the host (no trailing slash): hosts compare it byte for byte with the server's resource"+checksBelow)
	case strings.HasPrefix(strings.ToLower(path), strings.ToLower(endpoint.Path)+"/"):
		ok = false
		r.fail("url", fmt.Sprintf("%s is a path below the MCP endpoint", raw),
			"taskbridge serves MCP (streamable HTTP) at exactly TASKBRIDGE_PUBLIC_URL + /mcp, with no /sse or other sub-path: type "+mcp+" into the host"+checksBelow)
	case !strings.EqualFold(path, endpoint.Path):
		ok = false
		base := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: path}).String()
		r.fail("url", fmt.Sprintf("%s does not end in /mcp", raw),
			"the MCP URL is TASKBRIDGE_PUBLIC_URL + /mcp: if "+base+" is your TASKBRIDGE_PUBLIC_URL (a path prefix), type "+mcp+" into the host"+checksBelow)
	case ok && mcp != withLowerHost(u):
		// Hosts parse the URL (which lowercases the host) and then compare
		// it byte for byte: a path in another case or encoding differs.
		ok = false
		r.fail("url", fmt.Sprintf("%s is written differently from the MCP URL (letter case or %%-encoding of the path)", raw),
			"hosts compare it byte for byte with the server's resource: type "+mcp+" into the host"+checksBelow)
	}
	return ok
}

// mcpEndpoint is the MCP URL a typed URL stands for, written as the server
// writes it: lowercase host, no query, fragment or trailing slash, and
// ending in /mcp. A base URL (with or without a path prefix) gets /mcp
// added; a path below /mcp (e.g. /mcp/sse) is cut back.
func mcpEndpoint(u *url.URL) *url.URL {
	path := strings.TrimRight(u.Path, "/")
	if i := strings.LastIndex(strings.ToLower(path)+"/", "/mcp/"); i >= 0 {
		path = path[:i] + "/mcp"
	} else {
		path += "/mcp"
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host), Path: path}
}

// internalName is a single-label host name such as a compose service
// ("app"): public hosts cannot resolve it.
func internalName(host string) bool {
	_, err := netip.ParseAddr(host)
	return err != nil && !strings.Contains(host, ".") && !isLoopback(host)
}

func withLowerHost(u *url.URL) string {
	c := *u
	c.Host = strings.ToLower(c.Host)
	return c.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// publicBase is the TASKBRIDGE_PUBLIC_URL a resource URL implies: the
// resource minus its /mcp suffix.
func publicBase(resource string) string {
	return strings.TrimSuffix(strings.TrimRight(resource, "/"), "/mcp")
}

// publicURLFix is the message for the #1 failure: the server believes its
// MCP URL is serverResource, the doctor reached it at the checked URL. The
// advice depends on which of the two hosts can use.
func (r *run) publicURLFix(serverResource string) string {
	checked := r.mcpURL.String()
	have, want := publicBase(serverResource), publicBase(checked)
	haveURL, _ := url.Parse(have)
	wantURL, _ := url.Parse(want)
	doctorThere := fmt.Sprintf("check that URL instead: taskbridge doctor --url %s/mcp", have)
	if haveURL != nil && isLoopback(haveURL.Hostname()) {
		doctorThere = fmt.Sprintf("check that URL on the machine the server runs on: bin/taskbridge doctor --url %s/mcp", have)
	}
	switch {
	case haveURL == nil || wantURL == nil || have == want:
		// TASKBRIDGE_PUBLIC_URL is right, yet a document disagrees.
		return fmt.Sprintf("TASKBRIDGE_PUBLIC_URL matches the URL checked (%s), and taskbridge derives every URL in its documents from it: a proxy rewriting the document, or another server answering this path, changes it", want)
	case sameOrigin(haveURL, wantURL) && r.mcpMissing:
		// Only the path differs and nothing serves MCP at the checked one:
		// the path is wrong, not the server.
		return fmt.Sprintf("nothing serves MCP at %s: type %s/mcp into the host, the MCP URL the server names", checked, have)
	case wantURL.Scheme == "http" && !isLoopback(wantURL.Hostname()):
		return fmt.Sprintf("TASKBRIDGE_PUBLIC_URL is %s, and %s cannot replace it (plain http outside localhost; hosts need https): %s", have, want, doctorThere)
	case isLoopback(wantURL.Hostname()) && !isLoopback(haveURL.Hostname()):
		return fmt.Sprintf("TASKBRIDGE_PUBLIC_URL is %s but the host reached %s: set TASKBRIDGE_PUBLIC_URL=%s and restart the server if the host runs on this machine (MCP Inspector); if hosts reach the server at %s, %s", have, want, want, have, doctorThere)
	case strings.EqualFold(haveURL.Host, wantURL.Host) && haveURL.Scheme == "https" && wantURL.Scheme == "http":
		return fmt.Sprintf("the server's public URL is https: type %s/mcp into the host", have)
	}
	return fmt.Sprintf("TASKBRIDGE_PUBLIC_URL is %s but the host reached %s: set TASKBRIDGE_PUBLIC_URL=%s and restart the server", have, want, want)
}
