package task

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes user-authored text safe to store and to hand to a model or
// a widget (I6): invalid UTF-8 is replaced, control characters are removed
// (keeping newlines and tabs where multiline is true), and invisible
// formatting characters that can hide or reorder text (zero-width, bidi
// overrides) are removed. Surrounding white space is trimmed.
func CleanText(s string, multiline bool) string {
	if !needsCleaning(s, multiline) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\n' || r == '\t':
			if multiline {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == '\r':
			// Dropped: \r\n becomes \n, a lone \r cannot overwrite a line.
		case unicode.IsControl(r), isInvisibleFormat(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func needsCleaning(s string, multiline bool) bool {
	// ASCII prefix byte by byte (most text is ASCII; this runs on every
	// title and note of every result); the rest rune by rune.
	i := 0
	for ; i < len(s) && s[i] < utf8.RuneSelf; i++ {
		if b := s[i]; b < 0x20 || b == 0x7f {
			if multiline && (b == '\n' || b == '\t') {
				continue
			}
			return true
		}
	}
	s = s[i:]
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && (unicode.IsControl(r) || isInvisibleFormat(r))) {
			if multiline && (r == '\n' || r == '\t') {
				continue
			}
			return true
		}
	}
	return false
}

// isInvisibleFormat covers Unicode format characters (category Cf: zero-width
// joiners and spaces, bidi embeddings, overrides and isolates, the BOM, tag
// characters) that render as nothing but change how text reads.
func isInvisibleFormat(r rune) bool {
	return unicode.Is(unicode.Cf, r)
}
