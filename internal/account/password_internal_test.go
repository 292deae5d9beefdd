package account

import (
	"strings"
	"testing"
	"time"
)

func TestCheckNewPasswordRules(t *testing.T) {
	email := "mallory@example.test"
	for pw, wantOK := range map[string]bool{
		"plum kettle orbit 42":        true,
		"ünïcödé pässphrase":          true,
		"short":                       false,
		"elevenchars":                 false,
		strings.Repeat("x1y2", 33):    false, // 132 > 128
		"Password1234":                false, // common, any case
		"QWERTY123456":                false,
		"zzzzzzzzzzzzzz":              false, // too few distinct characters
		"abababababab":                false,
		"my mallory password":         false, // contains the email's local part
		"mallory@example.test":        false,
		"tab\tinside the password":    false, // control character
		"\xff\xfe invalid utf8 bytes": false,
	} {
		err := CheckNewPassword(NormalizePassword(pw), email)
		if (err == nil) != wantOK {
			t.Errorf("CheckNewPassword(%q) = %v, want ok=%v", pw, err, wantOK)
		}
	}
}

// NFC: the same passphrase with a precomposed or a combining accent is one
// password.
func TestNormalizePasswordNFC(t *testing.T) {
	precomposed, combining := "caf\u00e9 au lait 2026", "cafe\u0301 au lait 2026"
	if NormalizePassword(precomposed) != NormalizePassword(combining) {
		t.Fatal("NFC normalisation does not unify the two spellings")
	}
}

func TestValidEmail(t *testing.T) {
	for e, want := range map[string]bool{
		"a@example.test": true, "first.last+tag@sub.example.org": true,
		"": false, "no-at.example": false, "a@b": false, "a@@example.test": false,
		"Name <a@example.test>": false, "a b@example.test": false, "a@example.test.": false,
		"a@.example.test": false, strings.Repeat("a", 250) + "@e.st": false,
	} {
		if got := ValidEmail(e); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", e, got, want)
		}
	}
}

func TestLockoutDoublesUpToTheCap(t *testing.T) {
	p := DefaultAccountThrottle()
	for n, want := range map[int]time.Duration{5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 11: time.Hour, 1000: time.Hour} {
		if got := p.lockoutAfter(n); got != want {
			t.Errorf("lockoutAfter(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSummarizeUserAgentKeepsOnlyBrowserAndOS(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126":                     "Edge on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"": "Unknown browser",
	} {
		if got := summarizeUserAgent(ua); got != want {
			t.Errorf("summarizeUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}
