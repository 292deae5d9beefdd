package server

import (
	"math"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/limit"
)

// mountMCP serves the MCP endpoint behind the authenticator, which is the
// only way a principal (and so a user id) reaches the tools. Browser
// Origins are checked (DNS rebinding) and requests are rate limited by
// mcpRateLimits: per connected app after the token is verified, and token
// lookups are serialized per client IP once it sent too many refused
// requests.
func mountMCP(r chi.Router, d deps) {
	lim := d.cfg.OAuth
	r.With(postOnly, d.oauth.RequireAllowedOrigin, mcpRateLimits(d, lim.MCPUnauthenticatedPerMinute, lim.MCPPerMinute, d.mcpAuthenticate, d.needsTokenLookup)).
		Handle("/mcp", d.mcp)
}

// postOnly answers every method but POST with 405 and Allow: POST, token or
// not. The transport is stateless: there is no GET stream to open and no
// session to DELETE, for anyone, so a 401 would only send a legacy client
// through sign-in to learn the same 405 (streamable HTTP, 2026-07-28).
func postOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpx.WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "the MCP endpoint takes POST only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mcpRateLimits wraps authenticate with the two /mcp limits (I8), both
// counted as route "/mcp" (L6):
//
//   - perGrant requests a minute per connected app (the principal's grant:
//     one user's connection to one client), counted after authentication,
//     answering 429 with Retry-After. Hosts such as ChatGPT and Claude send
//     all their users' calls from a few shared egress IPs, so a per-IP
//     bucket would make all of their users share one; a grant's budget
//     survives token refreshes. (internal/mcpapi charges each message of a
//     JSON-RPC batch to the same budget and bounds the calls an app and a
//     user run at once.)
//   - refusedPerIP requests a minute per client IP (IPv6 per /64) that
//     authentication refuses with a 4xx (no, malformed, unknown, expired or
//     revoked token); valid requests and 5xx answers (a database outage)
//     never count. It bounds the database work of checking made-up tokens
//     without refusing anyone: once an IP is over it, the requests from it
//     whose check takes a database lookup (needsLookup: a well-formed token
//     not verified within the cache TTL; nil means every request) are
//     checked one at a time, so that IP holds at most one pooled connection
//     for token lookups however many it sends. Requests checked from memory
//     (no token, a malformed one, a recently verified one) skip that queue,
//     and a valid token is never refused because others sent junk from its
//     address (a NAT, a VPN, a host's shared egress): before, an IP over
//     the budget got 429 for everything, so anyone behind it could lock
//     every user there out. A refusal stays a 401, so a client with an
//     expired token still learns to refresh it.
//
// Buckets are per replica, like every httprate limit here.
func mcpRateLimits(d deps, refusedPerIP, perGrant int, authenticate func(http.Handler) http.Handler, needsLookup func(*http.Request) bool) func(http.Handler) http.Handler {
	refused := httprate.NewRateLimiter(refusedPerIP, time.Minute)
	grants := httprate.NewRateLimiter(perGrant, time.Minute)
	lookups := limit.NewSlots(1) // per IP over the refused budget
	tooMany := func(w http.ResponseWriter, r *http.Request) {
		d.rateLimited("/mcp")
		httpx.WriteError(w, r, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
			done := func() {}
			if needsLookup == nil || needsLookup(r) {
				if _, rate, err := refused.Status(ip); err == nil && int(math.Round(rate)) >= refusedPerIP {
					release, ok := lookups.Acquire(r.Context(), ip)
					if !ok { // the request ended while queued
						w.Header().Set("Retry-After", "1")
						httpx.WriteError(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "the access token could not be checked in time; retry shortly")
						return
					}
					done = release
				}
			}
			outcome := &authOutcome{ResponseWriter: w}
			authenticate(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				done() // the token is checked: the next request from this IP may look its own up
				outcome.authenticated = true
				// The MCP handler gets the original writer: the recorder
				// only watches authentication, and must not hide
				// http.Flusher from streamed responses.
				if grants.OnLimit(w, r, principalKey(r, ip)) {
					tooMany(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})).ServeHTTP(outcome, r)
			done()
			if !outcome.authenticated && outcome.status >= 400 && outcome.status < 500 {
				refused.OnLimit(headerSink{}, r, ip) // counts the refusal
			}
		})
	}
}

// principalKey is the per-grant bucket of an authenticated request (the
// principal's AppKey); the keys never leave this process.
func principalKey(r *http.Request, ip string) string {
	if p, ok := identity.FromContext(r.Context()); ok {
		return p.AppKey()
	}
	return "ip:" + ip
}

// authOutcome records whether authentication let a request through and,
// if not, the status it answered with.
type authOutcome struct {
	http.ResponseWriter
	authenticated bool
	status        int
}

func (o *authOutcome) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *authOutcome) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o.ResponseWriter.Write(b)
}

// headerSink takes the rate-limit headers httprate sets when it only
// counts a request whose answer was already sent.
type headerSink struct{}

func (headerSink) Header() http.Header         { return http.Header{} }
func (headerSink) Write(b []byte) (int, error) { return len(b), nil }
func (headerSink) WriteHeader(int)             {}
