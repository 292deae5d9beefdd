package oauth

import "testing"

// TestConsentVersionsCompareByDateAndRevision: whether a grant's consent
// covers the account label is decided by the version's date and revision,
// not string order (which puts v10 before v9), the current ConsentVersion
// covers it, and a version the server never wrote covers nothing.
func TestConsentVersionsCompareByDateAndRevision(t *testing.T) {
	if !consentCovers(ConsentVersion, accountLabelConsent) {
		t.Fatalf("the current ConsentVersion %q does not cover the account label (since %q)", ConsentVersion, accountLabelConsent)
	}
	for _, c := range []struct {
		have, since string
		want        bool
	}{
		{"consent-2026-11-v1", "consent-2026-12-v1", false},
		{"consent-2026-12-v1", "consent-2026-12-v1", true},
		{"consent-2026-12-v10", "consent-2026-12-v9", true},
		{"consent-2026-12-v9", "consent-2026-12-v10", false},
		{"consent-2027-01-v1", "consent-2026-12-v3", true},
		{"consent-2026-2-v1", "consent-2026-01-v1", false},
		{"consent-2026-12-v1x", "consent-2026-12-v1", false},
		{"consent-2026-13-v1", "consent-2026-12-v1", false},
		{"", "consent-2026-12-v1", false},
		{"consent-2026-12-v1", "garbage", false},
	} {
		if got := consentCovers(c.have, c.since); got != c.want {
			t.Errorf("consentCovers(%q, %q) = %v, want %v", c.have, c.since, got, c.want)
		}
	}
}
