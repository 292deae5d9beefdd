package logging

import (
	"encoding/base64"
	"strings"
)

// redactURLPasswords hides the password of scheme://user:password@host,
// keeping the user and host, which are what one needs to debug a
// connection. The userinfo ends at the last '@' before the path, because
// drivers accept unescaped '@' in passwords.
func redactURLPasswords(s string) string {
	w := rewriter{src: s}
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], "://")
		if k < 0 {
			break
		}
		k += i
		authority := k + 3
		end, lastAt := authority, -1
		for end < len(s) && !isAuthorityEnd(s[end]) {
			if s[end] == '@' {
				lastAt = end
			}
			end++
		}
		if k > 0 && isAlnum(s[k-1]) && lastAt > authority {
			if colon := strings.IndexByte(s[authority:lastAt], ':'); colon >= 0 {
				w.mask(authority+colon+1, lastAt, maskRedacted)
			}
		}
		i = max(end, authority)
	}
	return w.result()
}

func isAuthorityEnd(c byte) bool {
	switch c {
	case '/', '?', '#', '"', '\'', '<', '>', '`', '\\':
		return true
	}
	return isSpace(c)
}

// redactAuthSchemes masks the credentials after "Bearer " and "Basic ",
// wherever they appear (headers dumped into errors, curl commands).
func redactAuthSchemes(s string) string {
	w := rewriter{src: s}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != 'b' && c != 'B' {
			continue
		}
		if i > 0 && i != w.last && (isAlnum(s[i-1]) || s[i-1] == '_') {
			continue
		}
		var scheme string
		switch {
		case hasPrefixFold(s[i:], "bearer"):
			scheme = "bearer"
		case hasPrefixFold(s[i:], "basic"):
			scheme = "basic"
		default:
			continue
		}
		t := i + len(scheme)
		if t >= len(s) || (s[t] != ' ' && s[t] != '\t') {
			continue
		}
		for t < len(s) && (s[t] == ' ' || s[t] == '\t') {
			t++
		}
		end, ok := credentialEnd(s, t)
		if !ok {
			continue
		}
		cred := s[t:end]
		if scheme == "bearer" && !isProseAfterBearer(cred) || scheme == "basic" && isBasicCredential(cred) {
			w.mask(t, end, maskToken)
			i = end - 1
		}
	}
	return w.result()
}

// credentialEnd scans an RFC 6750 b64token (token68) starting at t:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". It reports
// false for an auth-param (realm="x", error=invalid_token), which follows
// a scheme in WWW-Authenticate and is not a credential.
func credentialEnd(s string, t int) (int, bool) {
	e := t
	for e < len(s) && isToken68Byte(s[e]) {
		e++
	}
	if e == t {
		return 0, false
	}
	eq := e
	for eq < len(s) && s[eq] == '=' {
		eq++
	}
	if eq > e && eq < len(s) && !isCredentialEnd(s[eq]) {
		return 0, false
	}
	return eq, true
}

// isCredentialEnd reports what may follow a token68 that ends in '='
// padding. Anything else ('"', a letter, a mask) means key=value.
func isCredentialEnd(c byte) bool {
	return isSpace(c) || c == ',' || c == ';' || c == '\'' || c == ')' || c == ']' || c == '}'
}

func isToken68Byte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// isProseAfterBearer keeps "missing bearer token" and "Bearer realm"
// readable: these words are never credentials. "bearer" itself is one, so
// that in the classic client bug "Bearer Bearer eyJ..." the second scheme
// word is not taken for the credential, leaving the real one exposed.
func isProseAfterBearer(word string) bool {
	words := [...]string{
		"bearer", "basic", "token", "tokens", "auth", "authentication", "authorization", "realm",
		"scheme", "header", "required", "missing", "invalid", "expired",
		"credentials", "challenge", "access", "is", "was", "the", "a", "an",
		"and", "or", "for", "in", "of", "to", "with", "not", "only", "format", "type",
	}
	for _, p := range words {
		if strings.EqualFold(word, p) {
			return true
		}
	}
	return false
}

// isBasicCredential reports whether cred is base64 of "user:password",
// which is what distinguishes a Basic credential from "basic usage".
func isBasicCredential(cred string) bool {
	if len(cred) < 4 || len(cred) > 1024 {
		return false
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(cred, "=") && len(cred)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	raw, err := enc.DecodeString(cred)
	return err == nil && strings.IndexByte(string(raw), ':') > 0
}

// redactJWTs masks compact JWS/JWE serializations: "eyJ" (base64url of
// `{"`) followed by two to five dot-separated base64url segments.
func redactJWTs(s string) string {
	w := rewriter{src: s}
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], "eyJ")
		if k < 0 {
			break
		}
		k += i
		if k > 0 && k != w.last && isBase64URLByte(s[k-1]) {
			i = k + 3
			continue
		}
		end, ok := jwtEnd(s, k)
		if !ok {
			i = k + 3
			continue
		}
		w.mask(k, end, maskJWT)
		i = end
	}
	return w.result()
}

func jwtEnd(s string, start int) (int, bool) {
	segment := func(p int) int {
		for p < len(s) && isBase64URLByte(s[p]) {
			p++
		}
		return p
	}
	header := segment(start)
	if header-start < 8 || header >= len(s) || s[header] != '.' {
		return 0, false
	}
	payload := segment(header + 1)
	if payload-header-1 < 2 || payload >= len(s) || s[payload] != '.' {
		return 0, false
	}
	end := segment(payload + 1)
	// JWE has five segments; consume at most two more.
	for n := 0; n < 2 && end+1 < len(s) && s[end] == '.' && isBase64URLByte(s[end+1]); n++ {
		end = segment(end + 1)
	}
	return end, true
}

func isBase64URLByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }
