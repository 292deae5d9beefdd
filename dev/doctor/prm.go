package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// resourceMeta is the part of RFC 9728 protected-resource metadata hosts use.
type resourceMeta struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
}

// corsProbeOrigin is sent as Origin on metadata requests: browser-based
// clients (MCP Inspector, web hosts) can read the documents only if the
// answer allows a foreign origin.
const corsProbeOrigin = "https://doctor.invalid"

const prmWellKnown = "/.well-known/oauth-protected-resource"

// checkResourceMetadata is step c. Hosts use the challenge's URL when there
// is one, otherwise the path-specific well-known URL; the doctor fetches
// both so that every kind of host is covered. (The root well-known URL
// would describe the origin, RFC 9728 §3.3; taskbridge serves none.)
func (r *run) checkResourceMetadata(ctx context.Context) {
	checked := r.mcpURL.String()
	pathURL := originOf(r.mcpURL) + prmWellKnown + strings.TrimRight(r.mcpURL.EscapedPath(), "/")

	// The challenge's URL, or without one the path-specific URL, is
	// required: that fetch either fails with its own fix or yields a
	// document, so missing metadata never goes unreported.
	if r.challengePRM != "" {
		r.usePRM(r.fetchPRM(ctx, "prm.challenge", r.challengePRM, checked, true))
	}
	// taskbridge's challenge names the path-specific URL: fetch it once.
	if r.challengePRM != pathURL {
		r.usePRM(r.fetchPRM(ctx, "prm.path", pathURL, checked, r.challengePRM == ""))
	}
}

// usePRM keeps the first document that names an authorization server, so
// the walk goes on (and reports everything) even when its resource is wrong.
func (r *run) usePRM(doc *resourceMeta) {
	if r.prm == nil && doc != nil {
		r.prm = doc
	}
}

// fetchPRM fetches and judges one metadata URL. required says whether a
// missing document is a failure (hosts use it) or a warning (a fallback).
// It returns the document when it names an authorization server.
func (r *run) fetchPRM(ctx context.Context, id, rawURL, checked string, required bool) *resourceMeta {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() {
		r.fail(id, fmt.Sprintf("resource_metadata %q is not an absolute URL", rawURL), "advertise an absolute https URL in resource_metadata")
		return nil
	}
	if !sameOrigin(r.mcpURL, u) {
		r.fail(id, fmt.Sprintf("the metadata URL %s is on another origin than %s; the doctor does not follow it and hosts that do get a document for the wrong URL", u.Redacted(), originOf(r.mcpURL)),
			r.publicURLFix(impliedResource(u)))
		return nil
	}
	resp, body, err := r.get(ctx, rawURL, http.Header{"Origin": {corsProbeOrigin}})
	if err != nil {
		r.fail(id, fmt.Sprintf("GET %s: %v", rawURL, err), r.unreachableFix(err))
		return nil
	}
	if !r.metadataStatusOK(id, rawURL, resp, required) {
		return nil
	}
	if !isJSON(resp) {
		r.fail(id, fmt.Sprintf("%s is %q, not JSON", rawURL, resp.Header.Get("Content-Type")),
			"serve the metadata as application/json (a proxy or SPA fallback may be answering with HTML)")
		return nil
	}
	var doc resourceMeta
	if err := json.Unmarshal(body, &doc); err != nil {
		r.fail(id, fmt.Sprintf("%s is not valid JSON: %v", rawURL, err), "serve the RFC 9728 document unchanged")
		return nil
	}
	ok := r.checkResource(id, rawURL, doc.Resource, checked)
	if len(doc.AuthorizationServers) == 0 || doc.AuthorizationServers[0] == "" {
		r.fail(id+".as", fmt.Sprintf("%s lists no authorization_servers", rawURL),
			"list the issuer (TASKBRIDGE_PUBLIC_URL) in authorization_servers; hosts cannot start OAuth without it")
		r.checkCORS(id+".cors", rawURL, resp)
		return nil
	}
	r.checkCORS(id+".cors", rawURL, resp)
	if ok {
		r.pass(id, fmt.Sprintf("%s: resource %q, authorization server %q", rawURL, doc.Resource, doc.AuthorizationServers[0]))
	}
	return &doc
}

// checkResource compares the document's resource with the MCP URL
// checked, byte for byte, as hosts do.
func (r *run) checkResource(id, docURL, resource, checked string) bool {
	if resource == checked {
		return true
	}
	detail := fmt.Sprintf("%s says resource %q but the MCP URL checked is %q; hosts compare them byte for byte and stop", docURL, resource, checked)
	switch {
	case resource == "":
		r.fail(id+".resource", fmt.Sprintf("%s has no resource field", docURL), "the document must carry resource = the MCP URL ("+checked+")")
	case resource == checked+"/":
		r.fail(id+".resource", detail, "the server advertises a trailing slash: TASKBRIDGE_PUBLIC_URL must not end with / (a proxy rewriting paths can also add it)")
	default:
		r.fail(id+".resource", detail, r.publicURLFix(resource))
	}
	return false
}

// metadataStatusOK judges the status code of a metadata fetch.
func (r *run) metadataStatusOK(id, rawURL string, resp *http.Response, required bool) bool {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return true
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		r.fail(id, fmt.Sprintf("GET %s answered %d: the metadata is behind authentication", rawURL, code),
			"serve /.well-known/* without authentication (the host has no token yet): exclude it from auth middleware and from proxy basic-auth or SSO")
	case code >= 300 && code < 400:
		r.fail(id, fmt.Sprintf("GET %s answered %d redirect to %q", rawURL, code, resp.Header.Get("Location")),
			"serve the metadata at this exact URL; a redirect usually means http vs https or a path rewrite in the proxy")
	case code == http.StatusNotFound && (required || (r.mcpMissing && id == "prm.path")):
		r.fail(id, fmt.Sprintf("GET %s answered 404", rawURL), r.notFoundFix(id, rawURL, required))
	case code == http.StatusNotFound:
		r.warn(id, fmt.Sprintf("GET %s answered 404", rawURL), r.notFoundFix(id, rawURL, required))
	default:
		r.fail(id, fmt.Sprintf("GET %s answered %d", rawURL, code),
			"hosts need this document: make sure the proxy forwards /.well-known/ to taskbridge")
	}
	return false
}

// notFoundFix is the advice for a metadata URL that answered 404; required
// says whether hosts need this URL or fall back to it.
func (r *run) notFoundFix(id, rawURL string, required bool) string {
	path := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		path = u.EscapedPath()
	}
	prefix := strings.TrimSuffix(r.mcpURL.EscapedPath(), "/mcp")
	if strings.HasPrefix(id, "as.") && r.issuer != nil {
		prefix = strings.TrimSuffix(r.issuer.EscapedPath(), "/")
	}
	switch {
	case r.mcpMissing && id == "prm.path":
		return "there is no metadata for this path either, as nothing serves MCP there (see mcp.challenge): the path is wrong"
	case prefix != "" && !strings.HasPrefix(path, prefix+"/"):
		// RFC 8414 and RFC 9728 put the well-known part before the path,
		// outside the prefix the proxy forwards.
		return fmt.Sprintf("taskbridge is served under %s, and hosts look for this document outside it: have the proxy route %s to taskbridge's %s", prefix, path, strings.Replace(path, prefix, "", 1))
	case required:
		return "hosts need this document: make sure the proxy forwards /.well-known/ to taskbridge"
	}
	return "some hosts look here when the 401 carries no resource_metadata; taskbridge serves it, so a proxy may not forward /.well-known/ to the app"
}

// checkCORS checks that browser-based clients can read a metadata document.
func (r *run) checkCORS(id, rawURL string, resp *http.Response) {
	allow := resp.Header.Get("Access-Control-Allow-Origin")
	if allow == "*" || allow == corsProbeOrigin {
		return
	}
	r.fail(id, fmt.Sprintf("%s does not allow cross-origin reads (Access-Control-Allow-Origin %q)", rawURL, allow),
		"browser-based clients (MCP Inspector, web hosts) cannot read it: answer metadata with Access-Control-Allow-Origin: * (taskbridge does; a proxy may drop the header)")
}

func isJSON(resp *http.Response) bool {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// impliedResource is the MCP URL a metadata URL on another origin implies,
// for the fix message: https://h/.well-known/oauth-protected-resource/mcp
// (RFC 9728's form) and https://h/p/.well-known/oauth-protected-resource/mcp
// (taskbridge's behind a path prefix) describe https://h/mcp and
// https://h/p/mcp.
func impliedResource(u *url.URL) string {
	before, after, found := strings.Cut(u.EscapedPath(), prmWellKnown)
	if !found {
		return originOf(u) + "/mcp"
	}
	if after == "" {
		after = "/mcp"
	}
	return originOf(u) + before + after
}
