package account_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/account"
)

// FuzzSafeNext: whatever SafeNext accepts stays on this server as a
// browser would resolve it, including after the browser's own clean-ups
// (tabs and newlines dropped, backslashes read as slashes).
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/account", "/a?b=c#d", "//evil.example", "/\\evil.example", "/\t/evil.example",
		"https://evil.example", "/%2F%2Fevil.example", "/..//evil.example", "/@evil.example", "/ /x", "/%09/evil"} {
		f.Add(seed)
	}
	base, _ := url.Parse("https://app.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got, ok := account.SafeNext(next)
		if !ok {
			return
		}
		if got != next {
			t.Fatalf("SafeNext changed %q to %q", next, got)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(next)
		for _, candidate := range []string{next, browser} {
			ref, err := url.Parse(candidate)
			if err != nil {
				t.Fatalf("accepted %q, which does not parse: %v", next, err)
			}
			if u := base.ResolveReference(ref); u.Host != base.Host || u.Scheme != base.Scheme {
				t.Fatalf("accepted %q, which a browser resolves to %s", next, u)
			}
		}
		if !strings.HasPrefix(account.LoginURL(next), "/login?next=") {
			t.Fatalf("LoginURL dropped an accepted next %q", next)
		}
	})
}
