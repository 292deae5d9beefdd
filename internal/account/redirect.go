package account

import (
	"net/url"
	"strings"
)

// maxNextLength bounds the return path carried through the login, sign-up
// and policy pages. The longest authorization request the OAuth server
// accepts (a 512-byte client_id, a 2000-byte redirect URI and 512 bytes of
// state, percent-encoded) must fit, or a newcomer would lose it on the way.
const maxNextLength = 16 << 10

// LoginURL is the login page that returns to next afterwards. next is kept
// only when SafeNext accepts it.
func LoginURL(next string) string {
	if n, ok := SafeNext(next); ok {
		return "/login?next=" + url.QueryEscape(n)
	}
	return "/login"
}

// SafeNext accepts next only as a path on this server (open-redirect
// protection): it must start with one "/", and must not be "//host" or
// "/\host" (browsers read both as another host), contain a backslash or a
// control character (browsers drop tabs and newlines, so "/\t/host" would
// become "//host"), or parse with a scheme or host.
func SafeNext(next string) (string, bool) {
	if next == "" || len(next) > maxNextLength || next[0] != '/' {
		return "", false
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "", false
	}
	if strings.ContainsRune(next, '\\') {
		return "", false
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return next, true
}
