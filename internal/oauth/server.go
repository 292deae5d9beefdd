// Package oauth is taskbridge's OAuth 2.1 authorization server and the
// bearer-token guard of its MCP endpoint (the protected resource).
//
// The profile is deliberately narrow: authorization code with PKCE S256
// only; opaque 256-bit tokens stored only as SHA-256 hashes; refresh tokens
// that rotate on every use with family revocation on reuse; audience bound
// to the canonical MCP URL (RFC 8707); RFC 9207 iss on every authorization
// response; dynamic registration (RFC 7591) and client ID metadata
// documents with SSRF protection. Every handler is an exported method;
// internal/server/routes.go mounts them.
package oauth

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/limit"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ConsentVersion names the wording of the consent page. It is stored with
// every grant and consent record, so what a user agreed to can be proven
// later (P4); change it whenever consent.html changes meaning.
const ConsentVersion = "consent-2026-12-v1"

// Authenticator is the seam to the account package: who is signed in, and
// where to send someone who is not.
type Authenticator interface {
	CurrentUser(r *http.Request) (uuid.UUID, bool)
	LoginURL(next string) string
}

// Server is the authorization server and bearer middleware.
type Server struct {
	cfg      *config.Config
	store    *Store
	authn    Authenticator
	audit    postgres.AuditAppender
	metrics  Metrics
	log      *slog.Logger
	now      func() time.Time
	cimd     *cimdFetcher
	pages    *page.Pages
	failures *failureCounters
	tokens   *tokenCache
	lookups  *limit.Slots // one database lookup per access token at a time

	cimdAllow func(netip.Addr) bool
	cimdRoots *x509.CertPool
}

// Option adjusts a Server; the defaults are the production behaviour.
type Option func(*Server)

// WithClock replaces time.Now, so tests can age codes and tokens without
// sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTokenCacheTTL sets how long a verified access token is trusted
// without a database lookup; 0 turns the cache off. It cannot exceed
// TokenCacheTTL (one second), the bound on how late a revocation may take
// effect on another replica.
func WithTokenCacheTTL(d time.Duration) Option {
	return func(s *Server) { s.tokens = newTokenCache(d, tokenCacheSize) }
}

// WithCIMDAddressPolicy replaces the rule that decides which IP addresses a
// client metadata document may be fetched from. Production never sets it
// (the default refuses loopback, private and other special ranges); tests use
// it to reach an httptest server on 127.0.0.1.
func WithCIMDAddressPolicy(allow func(netip.Addr) bool) Option {
	return func(s *Server) { s.cimdAllow = allow }
}

// WithCIMDRootCAs sets the certificate authorities trusted when fetching
// client metadata documents (tests: the httptest server's certificate). TLS
// verification itself cannot be turned off (O6).
func WithCIMDRootCAs(pool *x509.CertPool) Option { return func(s *Server) { s.cimdRoots = pool } }

// New builds the server. keys seals the refresh-token successor kept for the
// idempotency grace window.
func New(cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, authn Authenticator, auditLog postgres.AuditAppender, log *slog.Logger, opts ...Option) *Server {
	s := &Server{
		cfg:       cfg,
		authn:     authn,
		audit:     auditLog,
		metrics:   noMetrics{},
		log:       log,
		now:       time.Now,
		pages:     parsePages(log),
		failures:  newFailureCounters(),
		cimdAllow: PublicAddress,
		tokens:    newTokenCache(TokenCacheTTL, tokenCacheSize),
		lookups:   limit.NewSlots(1),
	}
	for _, o := range opts {
		o(s)
	}
	s.store = NewStore(db, keys, auditLog)
	s.cimd = newCIMDFetcher(s.cimdAllow, s.cimdRoots)
	return s
}

// Store is the persistence layer, for the retention job's purge functions.
func (s *Server) Store() *Store { return s.store }

// resourceMetadataURL is the absolute URL of the protected resource
// metadata document for the MCP endpoint (RFC 9728 path form).
func (s *Server) resourceMetadataURL() string {
	return ResourceMetadataURL(s.cfg)
}

// ResourceMetadataPath is where the MCP endpoint's protected resource
// metadata is served: the RFC 9728 path form for /mcp.
const ResourceMetadataPath = "/.well-known/oauth-protected-resource/mcp"

// ResourceMetadataURL is the absolute URL of the MCP endpoint's protected
// resource metadata, as challenges point at it.
func ResourceMetadataURL(cfg *config.Config) string {
	return cfg.Issuer() + ResourceMetadataPath
}

// resolveResource applies RFC 8707: an absent resource means this server's
// MCP endpoint (Claude Desktop and Cursor omit it); anything else must name
// it byte for byte (A9).
func (s *Server) resolveResource(requested string) (string, bool) {
	canonical := s.cfg.MCPResourceURL()
	if requested == "" || requested == canonical {
		return canonical, true
	}
	return "", false
}
