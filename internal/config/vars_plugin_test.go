package config

import (
	"strings"
	"testing"
)

// The widget domain is an https origin unique to the deployment: anything
// else is refused with the variable named, and a valid one is normalised.
func TestWidgetDomainMustBeAnHTTPSOrigin(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"", "", ""},
		{"https://Tasks.Example.com", "https://tasks.example.com", ""},
		{"https://tasks.example.com/", "https://tasks.example.com", ""},
		{"https://tasks.example.com:8443", "https://tasks.example.com:8443", ""},
		{"http://tasks.example.com", "", "https origin"},
		{"tasks.example.com", "", "https origin"},
		{"https://tasks.example.com/widget", "", "origin only"},
		{"https://tasks.example.com?x=1", "", "origin only"},
		{"https://user@tasks.example.com", "", "origin only"},
		{"https://web-sandbox.oaiusercontent.com", "", "shared default"},
	} {
		cfg, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_WIDGET_DOMAIN": c.in}))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_WIDGET_DOMAIN") || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want one naming the variable and %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Plugin.WidgetDomain != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, cfg.Plugin.WidgetDomain, err, c.want)
		}
	}
}

func TestAppsChallengeIsOneVisibleToken(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"oai-verify_AbC123.xyz", true},
		{"two words", false},
		{"line\nbreak", false},
		{"é", false},
		{strings.Repeat("a", 513), false},
	} {
		cfg, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_OPENAI_APPS_CHALLENGE": c.in}))
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok=%v", c.in, err, c.ok)
		}
		if c.ok && cfg.Plugin.AppsChallenge != strings.TrimSpace(c.in) {
			t.Errorf("%q: stored %q", c.in, cfg.Plugin.AppsChallenge)
		}
	}
}

func TestListingURLsMustBeHTTPS(t *testing.T) {
	for _, name := range []string{"TASKBRIDGE_PLUGIN_TERMS_URL", "TASKBRIDGE_PLUGIN_SUPPORT_URL"} {
		if _, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "test", name: "http://tasks.example.com/terms"})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s over http: %v", name, err)
		}
		cfg, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "test", name: "https://tasks.example.com/page"}))
		if err != nil || (cfg.Plugin.TermsURL != "https://tasks.example.com/page" && cfg.Plugin.SupportURL != "https://tasks.example.com/page") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
