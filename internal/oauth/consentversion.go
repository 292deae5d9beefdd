package oauth

import (
	"cmp"
	"fmt"
)

// accountLabelConsent is the first consent wording (ConsentVersion when it
// changed) whose tasks.read line names the account's shortened email. A
// connection whose grant was consented under an earlier wording gets no
// label from the profile tool (P4): its user never agreed to it. It is a
// fixed point in the history of ConsentVersion and never moves when a
// later wording bumps ConsentVersion.
const accountLabelConsent = "consent-2026-12-v1"

// consentVersion is a parsed ConsentVersion, "consent-YYYY-MM-vN", so
// versions compare by date and revision, not as strings ("v10" after "v9").
type consentVersion struct{ year, month, rev int }

// parseConsentVersion reads "consent-YYYY-MM-vN"; anything else is not a
// version this server wrote.
func parseConsentVersion(s string) (consentVersion, bool) {
	var v consentVersion
	if _, err := fmt.Sscanf(s, "consent-%4d-%2d-v%d", &v.year, &v.month, &v.rev); err != nil {
		return consentVersion{}, false
	}
	if fmt.Sprintf("consent-%04d-%02d-v%d", v.year, v.month, v.rev) != s || v.month < 1 || v.month > 12 || v.rev < 1 {
		return consentVersion{}, false
	}
	return v, true
}

func (v consentVersion) compare(w consentVersion) int {
	return cmp.Or(cmp.Compare(v.year, w.year), cmp.Compare(v.month, w.month), cmp.Compare(v.rev, w.rev))
}

// consentCovers reports whether a grant consented under version have saw
// the wording introduced by since. A version that does not parse covers
// nothing: the server fails closed rather than disclose.
func consentCovers(have, since string) bool {
	h, ok := parseConsentVersion(have)
	if !ok {
		return false
	}
	s, ok := parseConsentVersion(since)
	return ok && h.compare(s) >= 0
}
