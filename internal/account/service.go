package account

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Defaults of Options.
const (
	DefaultSessionTTL         = 12 * time.Hour
	DefaultSessionIdleTimeout = 30 * time.Minute
	// DefaultPrivacyPolicyVersion is the version of PRIVACY.md (the number
	// at its top; a privacy test compares them) that a user consents to,
	// recorded with the consent (C3). Raising it asks everyone again.
	DefaultPrivacyPolicyVersion = "1"
)

// Metrics counts authentication events (L6). The Prometheus adapter lives
// with the metrics endpoint; the default counts nothing.
type Metrics interface {
	// LoginFailed counts a login refused for a wrong email or password.
	LoginFailed()
	// Throttled counts a request refused by a login throttle or rate limit;
	// route is the path pattern, never anything the client chose.
	Throttled(route string)
}

// NopMetrics is the Metrics that counts nothing.
type NopMetrics struct{}

func (NopMetrics) LoginFailed()     {}
func (NopMetrics) Throttled(string) {}

// Options configures a Service. DB and Keys are required.
type Options struct {
	DB *postgres.DB
	// Keys seal the CSRF tokens of forms shown before login. Every replica
	// has the same keys, so a form rendered by one is accepted by another.
	Keys *keyring.Keyring
	Log  *slog.Logger
	// HTTPS makes the session cookie Secure and __Host- prefixed. Only a
	// plain-http development URL turns it off.
	HTTPS bool
	// TrustedOrigins are origins ("https://host[:port]") whose form posts
	// are same-site even when a proxy rewrites Host: the public URL's.
	TrustedOrigins []string

	SessionTTL         time.Duration // absolute lifetime; default 12h
	SessionIdleTimeout time.Duration // ends a session unused this long; default 30m

	// AccountThrottle and IPThrottle lock out repeated failed logins; zero
	// values take DefaultAccountThrottle and DefaultIPThrottle.
	AccountThrottle ThrottlePolicy
	IPThrottle      ThrottlePolicy
	// RateLimit caps POST /login and POST /signup per client IP; zero takes
	// DefaultRateLimit.
	RateLimit RateLimit
	// SessionFormRate caps each signed-in form's posts per user
	// (LimitSessionPosts); zero takes DefaultSessionFormRate.
	SessionFormRate RateLimit

	Metrics Metrics     // default NopMetrics
	Grants  GrantLister // the "Connected apps" source; default lists none
	// Audit records sign-ups, logins, logouts and revocations (required).
	Audit postgres.AuditAppender
	// MCPURL is the server's MCP endpoint, shown on the account page with
	// how to connect an app to it.
	MCPURL string
	// PrivacyPolicyVersion is recorded with each sign-up's consent.
	PrivacyPolicyVersion string
	// Now is the clock; tests move it instead of sleeping. Default time.Now.
	Now func() time.Time

	// hashParams replaces PasswordParams in tests that are not about
	// hashing (export_test.go), so the suite does not spend minutes in argon2id.
	hashParams *argon2id.Params
}

// Service is the accounts component: its handlers serve the account pages
// and its methods tell other components who is signed in.
type Service struct {
	db          *postgres.DB
	keys        *keyring.Keyring
	log         *slog.Logger
	https       bool
	ttl, idle   time.Duration
	acctPol     ThrottlePolicy
	ipPol       ThrottlePolicy
	metrics     Metrics
	grants      GrantLister
	audit       postgres.AuditAppender
	policyVer   string
	mcpURL      string
	now         func() time.Time
	hasher      *hasher
	pages       *page.Pages
	limiter     *ipLimiter
	userLimiter *userLimiter
	cop         *http.CrossOriginProtection
}

// New builds the Service. It computes one argon2id hash up front (the dummy
// that unknown emails are checked against), so it takes a moment.
func New(o Options) (*Service, error) {
	if o.DB == nil {
		return nil, errors.New("account: Options.DB is required")
	}
	if o.Keys == nil {
		return nil, errors.New("account: Options.Keys is required")
	}
	if o.Audit == nil {
		return nil, errors.New("account: Options.Audit is required")
	}
	s := &Service{
		db:        o.DB,
		keys:      o.Keys,
		log:       o.Log,
		https:     o.HTTPS,
		ttl:       durationOr(o.SessionTTL, DefaultSessionTTL),
		idle:      durationOr(o.SessionIdleTimeout, DefaultSessionIdleTimeout),
		acctPol:   o.AccountThrottle.orDefault(DefaultAccountThrottle()),
		ipPol:     o.IPThrottle.orDefault(DefaultIPThrottle()),
		metrics:   o.Metrics,
		grants:    o.Grants,
		audit:     o.Audit,
		policyVer: o.PrivacyPolicyVersion,
		mcpURL:    o.MCPURL,
		now:       o.Now,
	}
	if s.idle > s.ttl {
		return nil, fmt.Errorf("account: idle timeout %s is longer than the session lifetime %s", s.idle, s.ttl)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NopMetrics{}
	}
	if s.grants == nil {
		s.grants = NoGrants{}
	}
	if s.policyVer == "" {
		s.policyVer = DefaultPrivacyPolicyVersion
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	params := PasswordParams()
	if o.hashParams != nil {
		params = *o.hashParams
	}
	if s.hasher, err = newHasher(params); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.log); err != nil {
		return nil, err
	}
	if s.cop, err = s.newCrossOriginProtection(o.TrustedOrigins); err != nil {
		return nil, err
	}
	s.limiter = newIPLimiter(o.RateLimit.orDefault(), s.rateLimited)
	s.userLimiter = newUserLimiter(o.SessionFormRate)
	return s, nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
