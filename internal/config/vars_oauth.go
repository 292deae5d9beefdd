package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// OAuthConfig tunes the authorization server and the protected MCP
// endpoint. The defaults are the published token lifetimes (A5) and abuse
// limits (A2, I8); SECURE.md quotes them.
type OAuthConfig struct {
	AccessTokenTTL  time.Duration // access tokens are short-lived (A5)
	RefreshTokenTTL time.Duration // absolute lifetime of a refresh-token family
	RefreshIdleTTL  time.Duration // a refresh token unused this long expires
	RefreshGrace    time.Duration // a retried refresh within this window gets the same successor
	CodeTTL         time.Duration // authorization codes are single-use and short-lived (A1)
	ClientUnusedTTL time.Duration // registrations that never complete a grant expire (A2)
	CIMDCacheTTL    time.Duration // how long a fetched client metadata document is trusted
	TokenCacheTTL   time.Duration // how long a replica trusts a verified access token without a lookup (0 = never)

	RegisterPerMinute  int // per client IP
	TokenPerMinute     int // per client IP
	AuthorizePerMinute int // per client IP
	MCPPerMinute       int // per connected app (grant), after authentication
	// MCPUnauthenticatedPerMinute is how many /mcp requests authentication
	// may refuse per client IP a minute before that IP's token lookups run
	// one at a time (internal/server mcpRateLimits).
	MCPUnauthenticatedPerMinute int

	// MCPAllowedOrigins are browser origins, besides the public URL's own,
	// that may call /mcp (catalogue item 20).
	MCPAllowedOrigins []string
}

func oauthVars() []Var {
	dur := func(dst func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
		return func(c *Config, s string) error { return parseDuration(dst(c), s, lo, hi) }
	}
	perMinute := func(dst func(*Config) *int) func(*Config, string) error {
		return func(c *Config, s string) error {
			var v int64
			if err := parseInt64(&v, s, 1, 100000); err != nil {
				return err
			}
			*dst(c) = int(v)
			return nil
		}
	}
	return []Var{
		{Name: "TASKBRIDGE_OAUTH_ACCESS_TOKEN_TTL", Default: "10m", Help: "Lifetime of an access token (1m to 1h).",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.AccessTokenTTL }, time.Minute, time.Hour)},
		{Name: "TASKBRIDGE_OAUTH_REFRESH_TOKEN_TTL", Default: "720h", Help: "Absolute lifetime of a refresh-token family from the first grant (1h to 90 days); the user signs in again after it.",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.RefreshTokenTTL }, time.Hour, 90*24*time.Hour)},
		{Name: "TASKBRIDGE_OAUTH_REFRESH_IDLE_TTL", Default: "336h", Help: "A refresh token not used for this long expires (1h to 90 days).",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.RefreshIdleTTL }, time.Hour, 90*24*time.Hour)},
		{Name: "TASKBRIDGE_OAUTH_REFRESH_GRACE", Default: "30s", Help: "Window in which a client retrying a refresh with the just-rotated token gets the same new refresh token instead of a family revocation (0s to 2m).",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.RefreshGrace }, 0, 2*time.Minute)},
		{Name: "TASKBRIDGE_OAUTH_TOKEN_CACHE_TTL", Default: "1s", Help: "How long a replica trusts an access token it verified without looking it up again (0s to 1s). A revocation takes effect at once on the replica that performs it and within this time on the others; 0s makes every request check the database.",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.TokenCacheTTL }, 0, time.Second)},
		{Name: "TASKBRIDGE_OAUTH_CODE_TTL", Default: "60s", Help: "Lifetime of an authorization code (10s to 10m).",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.CodeTTL }, 10*time.Second, 10*time.Minute)},
		{Name: "TASKBRIDGE_OAUTH_UNUSED_CLIENT_TTL", Default: "2160h", Help: "A registered client (dynamic registration, or a cached client metadata document) that no one has granted access within this time is deleted; a client someone has granted access is kept (10m to 365 days). 90 days by default because ChatGPT registers once per connection, possibly weeks before anyone signs in (a plugin waiting for review, say), and a host whose registration is gone can only show invalid_client; registrations are limited per IP.",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.ClientUnusedTTL }, 10*time.Minute, 365*24*time.Hour)},
		{Name: "TASKBRIDGE_OAUTH_CIMD_CACHE_TTL", Default: "1h", Help: "How long a fetched client ID metadata document is reused before it is fetched again (1m to 24h).",
			set: dur(func(c *Config) *time.Duration { return &c.OAuth.CIMDCacheTTL }, time.Minute, 24*time.Hour)},
		{Name: "TASKBRIDGE_RATE_REGISTER_PER_MINUTE", Default: "10", Help: "Client registrations accepted per client IP per minute; more get 429.",
			set: perMinute(func(c *Config) *int { return &c.OAuth.RegisterPerMinute })},
		{Name: "TASKBRIDGE_RATE_TOKEN_PER_MINUTE", Default: "60", Help: "Token and revocation requests accepted per client IP per minute.",
			set: perMinute(func(c *Config) *int { return &c.OAuth.TokenPerMinute })},
		{Name: "TASKBRIDGE_RATE_AUTHORIZE_PER_MINUTE", Default: "60", Help: "Authorization requests accepted per client IP per minute.",
			set: perMinute(func(c *Config) *int { return &c.OAuth.AuthorizePerMinute })},
		{Name: "TASKBRIDGE_RATE_MCP_PER_MINUTE", Default: "600", Help: "MCP requests accepted per connection (one authorization of an app by a user, kept across token refreshes) per minute, per replica, counted after the access token is verified; more get 429. Each message of a JSON-RPC batch (protocol 2025-03-26; at most 20) is charged to the same budget, and a batch that does not fit is refused whole. Not per IP: ChatGPT and Claude send all their users' calls from shared egress IPs, so each user's connection has its own budget.",
			set: perMinute(func(c *Config) *int { return &c.OAuth.MCPPerMinute })},
		{Name: "TASKBRIDGE_RATE_MCP_UNAUTHENTICATED_PER_MINUTE", Default: "600", Help: "MCP requests refused for a missing, malformed, unknown, expired or revoked access token per client IP per minute, per replica, before that IP's token lookups are rationed. Malformed tokens are refused without a database lookup and recently verified ones are accepted from memory; past this number, the other requests from that IP (well-formed tokens to look up) are checked one at a time, so junk tokens from one address hold at most one database connection. Nothing is refused for it: a valid token from the same address (a NAT, a VPN, a host's shared egress) still works, and requests with a valid token never count.",
			set: perMinute(func(c *Config) *int { return &c.OAuth.MCPUnauthenticatedPerMinute })},
		{Name: "TASKBRIDGE_MCP_ALLOWED_ORIGINS", Help: "Comma-separated browser origins (scheme://host[:port]) allowed to call /mcp besides the public URL's own. Requests without an Origin header (server-side hosts) are unaffected.",
			set: func(c *Config, s string) error { return parseOrigins(&c.OAuth.MCPAllowedOrigins, s) }},
	}
}

func parseOrigins(dst *[]string, s string) error {
	*dst = nil
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("%q is not an origin like https://example.com", part)
		}
		*dst = append(*dst, strings.ToLower(part))
	}
	return nil
}
