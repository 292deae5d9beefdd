package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PluginConfig is what ChatGPT's and Codex's plugin directory reads besides
// the MCP surface: the widget's domain, the domain-verification token and
// the listing's links. Every field is optional for serve; `taskbridge
// plugin package` requires the links.
type PluginConfig struct {
	// WidgetDomain is the https origin declared as the widget's
	// _meta.ui.domain and openai/widgetDomain; empty declares neither.
	WidgetDomain string
	// AppsChallenge is the token served at /.well-known/openai-apps-challenge;
	// empty serves nothing there.
	AppsChallenge string
	// TermsURL and SupportURL are the listing's terms of service and support
	// pages (the privacy policy is the server's own /privacy).
	TermsURL   string
	SupportURL string
}

// sharedSandboxOrigin is ChatGPT's default widget origin, the same for every
// plugin: declaring it would not be the unique domain submission asks for.
const sharedSandboxOrigin = "https://web-sandbox.oaiusercontent.com"

// maxChallengeLen bounds the verification token (the portal's are short).
const maxChallengeLen = 512

func pluginVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_WIDGET_DOMAIN", Help: "The widget's own https origin (for example https://tasks.example.com), declared as _meta.ui.domain and openai/widgetDomain on the board. Plugin submission requires one, unique to this deployment; ChatGPT uses it for \"Open in app\" and link handling (since 2026-12-15 the sandbox origin itself is derived from the MCP URL). Unset declares neither key.",
			set: func(c *Config, s string) error { return parseWidgetDomain(&c.Plugin.WidgetDomain, s) }},
		{Name: "TASKBRIDGE_OPENAI_APPS_CHALLENGE", Help: "The domain-verification token the OpenAI platform's plugin submission page shows; served as plain text at /.well-known/openai-apps-challenge. Unset: that path answers 404.",
			set: func(c *Config, s string) error { return parseChallenge(&c.Plugin.AppsChallenge, s) }},
		{Name: "TASKBRIDGE_PLUGIN_TERMS_URL", Help: "https URL of the terms of service, for the plugin listing (`taskbridge plugin package` requires it).",
			Required: Requirement{Use: UseListing, Why: "the plugin listing links to your terms of service; submission refuses a listing without them"},
			set:      func(c *Config, s string) error { return parseListingURL(&c.Plugin.TermsURL, s) }},
		{Name: "TASKBRIDGE_PLUGIN_SUPPORT_URL", Help: "https URL where users get support, for the plugin listing (`taskbridge plugin package` requires it).",
			Required: Requirement{Use: UseListing, Why: "the plugin listing links to where users get support; submission refuses a listing without it"},
			set:      func(c *Config, s string) error { return parseListingURL(&c.Plugin.SupportURL, s) }},
	}
}

// parseWidgetDomain accepts an https origin only: scheme and host (and
// port), nothing else, lower-cased as hosts compare it.
func parseWidgetDomain(dst *string, s string) error {
	if s == "" {
		*dst = ""
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "https" || u.Hostname() == "":
		return fmt.Errorf("%q: must be an https origin such as https://tasks.example.com", s)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q: an origin only (scheme and host), no path, query or fragment", s)
	}
	origin := "https://" + strings.ToLower(u.Host)
	if origin == sharedSandboxOrigin {
		return fmt.Errorf("%q is ChatGPT's shared default, not a domain unique to this deployment", s)
	}
	*dst = origin
	return nil
}

// parseChallenge accepts one token of visible ASCII: it is served verbatim.
func parseChallenge(dst *string, s string) error {
	if len(s) > maxChallengeLen {
		return fmt.Errorf("longer than %d characters", maxChallengeLen)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return errors.New("must be one token of visible ASCII characters, as the submission page shows it")
		}
	}
	*dst = s
	return nil
}

// parseListingURL accepts an absolute https URL: the directory shows it to
// users, who must reach it over TLS.
func parseListingURL(dst *string, s string) error {
	if s == "" {
		*dst = ""
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%q: must be an https URL", s)
	}
	*dst = s
	return nil
}
