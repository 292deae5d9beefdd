package account

import (
	"net/mail"
	"strings"
	"unicode"
)

// MaxEmailLength is the longest address a mailbox can have (RFC 5321).
const MaxEmailLength = 254

// NormalizeEmail trims and lower-cases an email address, the one form that
// is stored, looked up and throttled on. The local part is case-sensitive in
// theory; no mail system in use treats it so, and two accounts that differ
// only by case would be a phishing gift.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether a normalised address is a plain addr-spec: one
// @, no display name, comments, spaces or control characters, a dotted domain.
func ValidEmail(e string) bool {
	if len(e) < 3 || len(e) > MaxEmailLength {
		return false
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" {
		return false
	}
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && !strings.Contains(domain, "@") &&
		strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
