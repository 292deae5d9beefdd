package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
)

// maxStateKeys bounds TASKBRIDGE_MCP_STATE_KEY: the signing key and the
// ones still being retired.
const maxStateKeys = 4

// decodeStateKey reads one base64 (standard or URL-safe) key of at least
// 32 bytes.
func decodeStateKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if k, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return nil, errors.New("must be base64")
		}
	}
	if len(k) < 32 {
		return nil, errors.New("must decode to at least 32 bytes")
	}
	return k, nil
}

// MCPConfig configures the MCP surface (internal/mcpapi).
type MCPConfig struct {
	// StateKey signs list cursors and purge confirmations. Empty in dev and
	// test means an ephemeral key (cursors and confirmations end with the
	// process); production requires it, and every replica needs the same.
	StateKey []byte
	// PreviousStateKeys still verify what they signed (never sign), so the
	// key rotates without refusing the cursors and confirmations in flight.
	PreviousStateKeys [][]byte
	// HTTPScopeChallenge also answers a tools/call the token lacks the scope
	// for with HTTP 403 insufficient_scope, which the go-sdk and TypeScript
	// v2 clients step up on (off: ChatGPT expects the in-band tool error,
	// which is always sent; see mcpapi http.go for the clients).
	HTTPScopeChallenge bool
	// RequireWidgetProvenance refuses purge_task calls without the host's
	// widget marker in the call's _meta.
	RequireWidgetProvenance bool
	// TestFixture serves /mcp as a fixed test user without a token, for the
	// MCP conformance suite. Only TASKBRIDGE_ENV=test on a loopback address.
	TestFixture bool
	// ConcurrentCallsPerGrant and ConcurrentCallsPerUser bound the tool
	// calls (each holding at most one database connection) that one
	// connected app, and one user over all their apps, run at once on a
	// replica (I8).
	ConcurrentCallsPerGrant int
	ConcurrentCallsPerUser  int
}

// check enforces what depends on the pool size, after every variable is
// read.
func (m MCPConfig) check(dbMaxConns int32) []error {
	var errs []error
	if m.ConcurrentCallsPerUser >= int(dbMaxConns) {
		errs = append(errs, fmt.Errorf("TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER: %d would let one user hold the whole database pool; keep it below TASKBRIDGE_DB_MAX_CONNS (%d)", m.ConcurrentCallsPerUser, dbMaxConns))
	}
	return errs
}

func mcpVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_MCP_STATE_KEY", Help: "Base64 key (at least 32 bytes) that signs MCP list cursors and permanent-delete confirmations; the same on every replica. To rotate, put the new key first and keep the old one after a comma (new,old) for an hour: the first signs, every one verifies. Required in prod; dev and test use an ephemeral key when unset. Generate: openssl rand -base64 32.", Secret: true,
			Required: Requirement{Use: UseStateKey, ProdOnly: true, Why: "generate one with `openssl rand -base64 32`; every replica needs the same key"},
			set: func(c *Config, s string) error {
				if s == "" {
					return nil // production requires it: see Required
				}
				parts := strings.Split(s, ",")
				if len(parts) > maxStateKeys {
					return fmt.Errorf("at most %d keys (the new one first, then the ones being retired)", maxStateKeys)
				}
				for i, part := range parts {
					k, err := decodeStateKey(strings.TrimSpace(part))
					if err != nil {
						return fmt.Errorf("key %d: %w", i+1, err)
					}
					if i == 0 {
						c.MCP.StateKey = k
					} else {
						c.MCP.PreviousStateKeys = append(c.MCP.PreviousStateKeys, k)
					}
				}
				return nil
			}},
		{Name: "TASKBRIDGE_MCP_HTTP_SCOPE_CHALLENGE", Default: "false", Help: "Also answer a tool call the token lacks the scope for with HTTP 403 + WWW-Authenticate insufficient_scope and a JSON error. The go-sdk client (v1.8) and the TypeScript @modelcontextprotocol/client (v2) then ask the user to consent to the wider scope; @modelcontextprotocol/sdk v1 clients holding a refresh token refresh instead (which cannot widen it) and fail, and ChatGPT shows the 403 as a failure. The in-band tool error ChatGPT uses is always sent.",
			set: func(c *Config, s string) error { return parseBool(&c.MCP.HTTPScopeChallenge, s) }},
		{Name: "TASKBRIDGE_MCP_REQUIRE_WIDGET_PROVENANCE", Default: "false", Help: "Refuse permanent deletion (purge_task) unless the host marks the call as coming from the widget (_meta openai/widgetSessionId), in addition to the signed confirmation.",
			set: func(c *Config, s string) error { return parseBool(&c.MCP.RequireWidgetProvenance, s) }},
		{Name: "TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_GRANT", Default: "2", Help: "Tool calls one connection (one authorization of an app by a user, kept across token refreshes) may run at once on a replica (1-100), each holding at most one database connection; the calls of a JSON-RPC batch count one by one. More wait for a free slot up to 5 seconds, then get a rate-limit tool error, so a flood from one app never takes the connections other users' calls need.",
			set: func(c *Config, s string) error { return parseInt(&c.MCP.ConcurrentCallsPerGrant, s, 1, 100) }},
		{Name: "TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER", Default: "4", Help: "Tool calls one user may run at once on a replica over all their connected apps (1-100), as TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_GRANT; it must stay below TASKBRIDGE_DB_MAX_CONNS, so one user never holds the whole pool.",
			set: func(c *Config, s string) error { return parseInt(&c.MCP.ConcurrentCallsPerUser, s, 1, 100) }},
		{Name: "TASKBRIDGE_MCP_TEST_FIXTURE", Default: "false", Help: "TEST ONLY: serve /mcp without a token as a fixed fixture user, for `make test-conformance`. Refused unless TASKBRIDGE_ENV=test and TASKBRIDGE_ADDR is a loopback address.",
			set: func(c *Config, s string) error {
				if err := parseBool(&c.MCP.TestFixture, s); err != nil || !c.MCP.TestFixture {
					return err
				}
				if c.Mode != ModeTest {
					return errors.New("only allowed with TASKBRIDGE_ENV=test")
				}
				host, _, err := net.SplitHostPort(c.Addr)
				if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
					return errors.New("only allowed when TASKBRIDGE_ADDR is a loopback IP address")
				}
				return nil
			}},
	}
}
