package logging

import "strings"

// maxKeyLen bounds how far back a scanner looks for the key in front of
// '=' or ':', which keeps the pass linear on hostile input.
const maxKeyLen = 128

// redactKeyValues hides values that free text labels as secret:
//
//	password=hunter2, ?code=abc&state=x, "client_secret": "x",
//	{Password:hunter2 User:bob} (Go %+v), Authorization: Basic x (header dump)
//
// A key-based filter on attributes alone misses all of these, because the
// key and the value are both inside one string.
func redactKeyValues(s string) string {
	w := rewriter{src: s}
	for i := 0; i < len(s); {
		switch s[i] {
		case '=':
			i = redactAfterEquals(&w, i)
		case ':':
			i = redactAfterColon(&w, i)
		default:
			i++
		}
	}
	return w.result()
}

// keyStart returns where the key ending at end begins; key bytes are those
// of identifiers, dotted paths and form arrays (user[password]).
func keyStart(s string, end, floor int) int {
	k := end
	for k > floor && end-k < maxKeyLen && isKeyByte(s[k-1]) {
		k--
	}
	return k
}

func isKeyByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

// redactAfterEquals handles key=value, for sensitive keys anywhere and for
// query-only secrets (code, key, sig) right after '?', '&', ';' or '#'.
func redactAfterEquals(w *rewriter, i int) int {
	s := w.src
	if i+1 < len(s) && s[i+1] == '=' { // "==": padding or comparison
		for i < len(s) && s[i] == '=' {
			i++
		}
		return i
	}
	if i > 0 && strings.IndexByte("!<>", s[i-1]) >= 0 {
		return i + 1
	}
	ks := keyStart(s, i, w.last)
	if ks == i {
		return i + 1
	}
	key := s[ks:i]
	inQuery := ks == 0 || strings.IndexByte("?&;#", s[ks-1]) >= 0
	if !isSensitiveKey(key) && !(inQuery && isQuerySecretKey(key)) {
		return i + 1
	}
	v := i + 1
	if v >= len(s) {
		return v
	}
	if q := s[v]; q == '"' || q == '\'' {
		end := closingQuote(s, v+1, q)
		w.mask(v+1, end, maskRedacted)
		return min(end+1, len(s))
	}
	if isAuthorizationKey(key) {
		return redactAuthorizationValue(w, v, false)
	}
	end := scanValue(s, v, isValueEnd)
	w.mask(v, end, maskRedacted)
	return max(end, i+1)
}

// isValueEnd ends an unquoted value: whitespace, query and cookie
// separators, quotes and closing brackets of whatever encloses the pair.
func isValueEnd(c byte) bool {
	switch c {
	case '&', ';', ',', '"', '\'', '<', '>', '`', ')', ']', '}':
		return true
	}
	return isSpace(c)
}

// redactAfterColon handles, in this order: a quoted JSON or Python key
// ("password": "x"), a credential header (Cookie: a=b; c=d), and Go's %v
// formatting of maps and structs (Token:abc, no space after the colon).
// "invalid token: expired" matches none of them on purpose.
func redactAfterColon(w *rewriter, i int) int {
	s := w.src
	j := i - 1
	for j >= w.last && i-j < maxKeyLen && (s[j] == ' ' || s[j] == '\t') {
		j--
	}
	if j >= w.last && (s[j] == '"' || s[j] == '\'') {
		lo := max(w.last, j-maxKeyLen)
		k := strings.LastIndexByte(s[lo:j], s[j])
		if k >= 0 && isSensitiveKey(s[lo+k+1:j]) {
			return redactJSONMember(w, i+1)
		}
		return i + 1
	}
	ks := keyStart(s, i, w.last)
	if ks == i {
		return i + 1
	}
	key := s[ks:i]
	spaced := i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t')
	if isHeaderSecretKey(key, spaced) {
		v := i + 1
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if isAuthorizationKey(key) {
			return redactAuthorizationValue(w, v, true)
		}
		end := lineEnd(s, v)
		w.mask(v, end, maskRedacted)
		return max(end, i+1)
	}
	if i+1 < len(s) && !isSpace(s[i+1]) && s[i+1] != '/' && s[i+1] != ':' && isSensitiveKey(key) {
		end := scanValue(s, i+1, isGoValueEnd)
		w.mask(i+1, end, maskRedacted)
		return end
	}
	return i + 1
}

// isGoValueEnd ends a value printed by %v: fields are separated by spaces
// and closed by '}' or ']'; '@' and '/' end it too so that a URL such as
// https://token:x@host keeps its host.
func isGoValueEnd(c byte) bool {
	return isValueEnd(c) || c == '@' || c == '/'
}

// redactJSONMember masks the value of a JSON (or Python repr) member that
// starts at or after p: a string keeps its quotes, anything else (number,
// object, array, literal) becomes the string "[REDACTED]".
func redactJSONMember(w *rewriter, p int) int {
	s := w.src
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	if p >= len(s) {
		return p
	}
	switch c := s[p]; c {
	case '"', '\'':
		end := closingQuote(s, p+1, c)
		w.mask(p+1, end, maskRedacted)
		return min(end+1, len(s))
	case '{', '[':
		end := matchingBracket(s, p)
		w.mask(p, end, maskRedactedQuoted)
		return end
	}
	end := scanValue(s, p, isJSONScalarEnd)
	w.mask(p, end, maskRedactedQuoted)
	return max(end, p+1)
}

// isJSONScalarEnd ends an unquoted member value. Spaces do not: what is
// not JSON ("token": +44 20 7946 0958) is hidden up to the next member.
func isJSONScalarEnd(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == '\n' || c == '\r'
}

// redactAuthorizationValue keeps the scheme of an Authorization value
// ("Basic", "Digest") and masks the credentials. A header value runs to the
// end of the line; after '=' it ends at the first separator.
func redactAuthorizationValue(w *rewriter, v int, header bool) int {
	s := w.src
	end := lineEnd(s, v)
	if !header {
		end = scanValue(s, v, isValueEnd)
	}
	scheme := v
	for scheme < end && isAlpha(s[scheme]) {
		scheme++
	}
	if scheme > v && scheme-v <= 20 && scheme < len(s) && s[scheme] == ' ' {
		// "Scheme credentials": the credentials are the rest of the line,
		// or the next word when the value is not a header.
		cred := scheme + 1
		if !header {
			end = scanValue(s, cred, isValueEnd)
		}
		w.mask(cred, end, maskToken)
		return max(end, v+1)
	}
	w.mask(v, end, maskToken)
	return max(end, v+1)
}

func lineEnd(s string, p int) int {
	for p < len(s) && s[p] != '\n' && s[p] != '\r' && s[p] != '"' {
		p++
	}
	return p
}

// closingQuote returns the index of the quote q that closes a string
// starting at from, honouring backslash escapes, or len(s).
func closingQuote(s string, from int, q byte) int {
	for k := from; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case q:
			return k
		}
	}
	return len(s)
}

// matchingBracket returns the index just past the bracket that closes the
// one at p, skipping strings, or len(s) if it is never closed.
func matchingBracket(s string, p int) int {
	depth := 0
	for k := p; k < len(s); k++ {
		switch s[k] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return k + 1
			}
		case '"':
			k = closingQuote(s, k+1, '"')
		}
	}
	return len(s)
}
