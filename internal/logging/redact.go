package logging

// Masks that replace what was found. Typed, so a reader still sees what
// kind of value was there.
const (
	maskRedacted       = "[REDACTED]"
	maskRedactedQuoted = `"[REDACTED]"`
	maskEmail          = "[EMAIL]"
	maskPhone          = "[PHONE]"
	maskCard           = "[CARD]"
	maskToken          = "[TOKEN]"
	maskJWT            = "[JWT]"
)

// maxRounds bounds the repeat-until-stable loop in RedactString. One round
// almost always suffices; a second is needed when a mask changes what a
// neighbour looks like (masking a header value can expose the quoted key
// around it). Repeating until nothing changes is what makes RedactString
// idempotent, which audit summaries redacted twice rely on.
const maxRounds = 8

// RedactString returns s with emails, phone numbers, card numbers, bearer
// and basic credentials, JWTs, URL passwords and secret key=value pairs
// replaced by typed masks. It is what the logging handler applies to every
// string it writes, exported for audit summaries and error texts.
//
// RedactString is idempotent and allocates only when it changes s.
func RedactString(s string) string {
	for range maxRounds {
		out := redactRound(s)
		if out == s {
			return s
		}
		s = out
	}
	return s
}

// redactRound runs each scanner once. Shape scanners run first, so that a
// phone number or email under a secret key is masked whole before the
// key=value pass, which then treats the mask as part of the value; the URL
// password goes before the email scanner would read "pass@host" as an
// address, and bearer credentials before the JWT scanner.
func redactRound(s string) string {
	f := scanFeatures(s)
	if f.colon && f.at {
		s = redactURLPasswords(s)
	}
	if f.maybeAuthScheme {
		s = redactAuthSchemes(s)
	}
	if f.maybeJWT {
		s = redactJWTs(s)
	}
	if f.at {
		s = redactEmails(s)
	}
	if f.digits >= 7 {
		s = redactNumbers(s)
	}
	if f.equals || f.colon {
		s = redactKeyValues(s)
	}
	return s
}

// features records, in one pass over the bytes, which scanners can
// possibly match, so that a plain message costs one loop and no allocation.
type features struct {
	digits          int
	at              bool
	equals          bool
	colon           bool
	maybeAuthScheme bool // "bearer" or "basic", any case
	maybeJWT        bool // "eyJ"
}

func scanFeatures(s string) features {
	var f features
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			f.digits++
		case c == '@':
			f.at = true
		case c == '=':
			f.equals = true
		case c == ':':
			f.colon = true
		case c == 'b' || c == 'B':
			f.maybeAuthScheme = f.maybeAuthScheme || hasPrefixFold(s[i:], "bearer") || hasPrefixFold(s[i:], "basic")
		case c == 'J':
			f.maybeJWT = f.maybeJWT || i >= 2 && s[i-2:i] == "ey"
		}
	}
	return f
}

func isMask(s string) bool {
	switch s {
	case maskRedacted, maskRedactedQuoted, maskEmail, maskPhone, maskCard, maskToken, maskJWT:
		return true
	}
	return false
}

// maskLen returns the length of the mask that starts at s[p], or 0. Value
// scanners step over masks whole: a mask contains ']', which ends some
// values, and a value that merely starts with a mask ("[EMAIL]tail") must
// still be hidden whole.
func maskLen(s string, p int) int {
	if p >= len(s) || s[p] != '[' {
		return 0
	}
	end := p + 1
	for end < len(s) && end-p <= len(maskRedacted) && s[end] != ']' {
		end++
	}
	if end < len(s) && isMask(s[p:end+1]) {
		return end + 1 - p
	}
	return 0
}

// scanValue returns where a value starting at p ends: at the first byte
// for which stop is true, outside masks.
func scanValue(s string, p int, stop func(byte) bool) int {
	for p < len(s) {
		if n := maskLen(s, p); n > 0 {
			p += n
			continue
		}
		if stop(s[p]) {
			break
		}
		p++
	}
	return p
}

// rewriter builds the output of one pass lazily: nothing is copied until
// the first replacement. Replacements must come in increasing,
// non-overlapping order; last is where the previous one ended, and
// scanners treat it as a boundary (what lies before it is now a mask).
type rewriter struct {
	src  string
	buf  []byte
	last int
}

func (w *rewriter) replace(start, end int, mask string) {
	if start < w.last || end < start {
		return
	}
	if w.buf == nil {
		w.buf = make([]byte, 0, len(w.src)+16)
	}
	w.buf = append(w.buf, w.src[w.last:start]...)
	w.buf = append(w.buf, mask...)
	w.last = end
}

// mask replaces src[start:end] unless it is empty or already a mask.
func (w *rewriter) mask(start, end int, mask string) {
	if start >= end || start < w.last || isMask(w.src[start:end]) {
		return
	}
	w.replace(start, end, mask)
}

func (w *rewriter) result() string {
	if w.buf == nil {
		return w.src
	}
	w.buf = append(w.buf, w.src[w.last:]...)
	return string(w.buf)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s starts with prefix, ASCII
// case-insensitively; prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}
