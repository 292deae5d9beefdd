package oauth

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
)

// Limits on registered redirect URIs (A2, catalogue item 16).
const (
	maxRedirectURIs      = 10
	maxRedirectURILength = 2000
)

// ErrInvalidRedirectURI is a redirect URI this server will not register.
var ErrInvalidRedirectURI = errors.New("invalid redirect URI")

// dangerousSchemes are refused with a specific message even though the
// https-only rule refuses them anyway: the check runs on a normalised copy
// (case folded, whitespace and control characters removed), which is how
// browsers read such URIs, so "  JaVa\tScript:" is recognised too.
var dangerousSchemes = []string{"javascript:", "data:", "vbscript:", "file:", "blob:"}

// ValidateRedirectURI checks one redirect URI for registration: https, or
// http only on a loopback host (native apps); absolute; no userinfo, no
// fragment, no whitespace or control characters; within the length cap; and
// already in the canonical form Go's URL parser produces, so the byte-exact
// comparison at /authorize compares what the client meant.
func ValidateRedirectURI(raw string) error {
	if raw == "" || len(raw) > maxRedirectURILength {
		return reasonf("must be 1-%d characters", maxRedirectURILength)
	}
	norm := strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, raw))
	for _, s := range dangerousSchemes {
		if strings.HasPrefix(norm, s) {
			return reasonf("the %s scheme is not allowed", strings.TrimSuffix(s, ":"))
		}
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII {
			return reasonf("must not contain whitespace, control or non-ASCII characters")
		}
	}
	if strings.Contains(raw, "#") {
		return reasonf("must not contain a fragment")
	}
	if strings.ContainsAny(raw, "\\<>\"`{}|^") {
		// Browsers read a backslash as a slash in URLs with special schemes,
		// and these characters are not valid in a URI anyway (RFC 3986).
		return reasonf("must not contain characters that are invalid in a URI")
	}
	if !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://") {
		return reasonf("must be an https URL (or http on a loopback address)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return reasonf("is not a valid URL")
	}
	switch {
	case u.User != nil || strings.Contains(u.Host, "@"):
		return reasonf("must not contain user information")
	case u.Host == "" || u.Hostname() == "":
		return reasonf("must have a host")
	case u.Opaque != "":
		return reasonf("is not a valid URL")
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return reasonf("plain http is allowed only for loopback addresses")
	case u.String() != raw:
		return reasonf("must be in canonical form")
	}
	if p := u.Port(); p != "" && (len(p) > 5 || p[0] == '0') {
		return reasonf("has an invalid port")
	}
	if hasDotSegment(u.EscapedPath()) {
		return reasonf("must not contain dot segments, also not percent-encoded ones")
	}
	return nil
}

// hasDotSegment reports whether a path has a "." or ".." segment, also one
// spelled with percent-encoding (%2e%2e, %252e%252e) or set apart by an
// encoded slash or backslash (%2F..%2F): a server or browser that decodes
// before it resolves the path would see a dot segment there. The path is
// decoded until decoding changes nothing; one that does not decode counts
// as having one.
func hasDotSegment(escapedPath string) bool {
	for {
		for _, seg := range strings.Split(strings.ReplaceAll(escapedPath, "\\", "/"), "/") {
			if seg == "." || seg == ".." {
				return true
			}
		}
		decoded, err := url.PathUnescape(escapedPath)
		if err != nil {
			return true
		}
		if decoded == escapedPath {
			return false
		}
		escapedPath = decoded
	}
}

// isLoopbackHost is localhost or a loopback IP literal.
func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// MatchRedirectURI finds the registered redirect URI a request names. The
// comparison is byte for byte (RFC 9700 §2.1); the single exception is the
// port of an http loopback redirect (127.0.0.1, [::1] or localhost), which
// native apps pick at run time (RFC 8252 §7.3): Claude Code's metadata
// document lists http://localhost/callback and sends
// http://localhost:PORT/callback. Only the port may differ; scheme, host
// spelling, path and query must be as registered. It returns the URI to
// redirect to.
func MatchRedirectURI(registered []string, requested string) (string, bool) {
	if requested == "" {
		return "", false
	}
	for _, r := range registered {
		if r == requested {
			return requested, true
		}
	}
	reqKey, ok := loopbackWithoutPort(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		if k, ok := loopbackWithoutPort(r); ok && k == reqKey {
			return requested, true
		}
	}
	return "", false
}

// loopbackWithoutPort returns an http loopback URI (an IP literal or the
// name localhost, as spelt) with its port removed, for the
// port-insensitive comparison; ok is false for any other URI.
func loopbackWithoutPort(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "http://") || ValidateRedirectURI(raw) != nil {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || !isLoopbackHost(u.Hostname()) {
		return "", false
	}
	u.Host = u.Hostname()
	if strings.Contains(u.Host, ":") {
		u.Host = "[" + u.Host + "]"
	}
	return u.String(), true
}

// appendQuery adds params to a validated redirect URI, keeping its own
// query exactly as registered.
func appendQuery(uri string, params url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + params.Encode()
}

type redirectReason string

func (r redirectReason) Error() string { return "redirect URI " + string(r) }
func (r redirectReason) Unwrap() error { return ErrInvalidRedirectURI }

func reasonf(format string, args ...any) error {
	if len(args) > 0 {
		return redirectReason(sprintf(format, args...))
	}
	return redirectReason(format)
}
