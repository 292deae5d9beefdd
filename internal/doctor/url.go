package doctor

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// checkURL is step a: the URL as typed into the host. It reports false when
// the URL cannot be used at all (the rest of the walk is skipped).
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
	r.mcpURL = u
	ok := true
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		ok = false
		r.fail("url", fmt.Sprintf("%s uses plain http", raw),
			fmt.Sprintf("hosts require https outside localhost: put TLS in front (see deploy/) or use a tunnel, then use https://%s%s and set TASKBRIDGE_PUBLIC_URL=https://%s%s", u.Host, u.EscapedPath(), u.Host, strings.TrimSuffix(u.EscapedPath(), "/mcp")))
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#") || u.ForceQuery {
		ok = false
		r.fail("url", fmt.Sprintf("%s has a query or fragment", raw), "remove everything from ? or #: the URL is the OAuth resource identifier and must be exactly scheme://host/path")
	}
	if strings.HasSuffix(u.Path, "/") {
		ok = false
		trimmed := strings.TrimRight(raw, "/")
		r.fail("url", fmt.Sprintf("%s ends with a slash", raw),
			fmt.Sprintf("type %s into the host (no trailing slash): hosts compare it byte for byte with the server's resource", trimmed))
	}
	if ok {
		if !strings.HasSuffix(u.Path, "/mcp") {
			r.warn("url", fmt.Sprintf("%s does not end in /mcp", raw), "taskbridge serves MCP at TASKBRIDGE_PUBLIC_URL + /mcp; use that URL unless a proxy rewrites paths")
		} else {
			r.pass("url", raw)
		}
	}
	return true
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

// publicURLFix is the message for the #1 failure: the server believes it
// lives at one URL, the host reached it at another.
func publicURLFix(serverResource, typed string) string {
	have, want := publicBase(serverResource), publicBase(typed)
	return fmt.Sprintf("TASKBRIDGE_PUBLIC_URL is %s but the host reached %s: set TASKBRIDGE_PUBLIC_URL=%s and restart the server", have, want, want)
}
