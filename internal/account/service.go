package account

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
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

// Options configures a Service. DB, Keys, Sessions and Audit are required.
type Options struct {
	DB *postgres.DB
	// Sessions tells who is signed in; the Service creates and ends them.
	Sessions *Sessions
	// Keys seal the CSRF tokens of forms shown before login. Every replica
	// has the same keys, so a form rendered by one is accepted by another.
	Keys *keyring.Keyring
	Log  *slog.Logger
	// TrustedOrigins are origins ("https://host[:port]") whose form posts
	// are same-site even when a proxy rewrites Host: the public URL's.
	TrustedOrigins []string

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

	// hashParams replaces PasswordParams in tests that are not about
	// hashing (export_test.go), so the suite does not spend minutes in argon2id.
	hashParams *argon2id.Params
}

// Service is the accounts component: its handlers serve the account pages.
// It embeds the Sessions it was built on, so it also tells other components
// who is signed in (CurrentUser, ConsentedUser), and its handlers resume,
// create and end sessions (and read the clock, the policy version and
// whether the site is https) through them.
type Service struct {
	*Sessions
	db          *postgres.DB
	keys        *keyring.Keyring
	log         *slog.Logger
	acctPol     ThrottlePolicy
	ipPol       ThrottlePolicy
	metrics     Metrics
	grants      GrantLister
	audit       postgres.AuditAppender
	mcpURL      string
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
	if o.Sessions == nil {
		return nil, errors.New("account: Options.Sessions is required")
	}
	if o.Keys == nil {
		return nil, errors.New("account: Options.Keys is required")
	}
	if o.Audit == nil {
		return nil, errors.New("account: Options.Audit is required")
	}
	s := &Service{
		Sessions: o.Sessions,
		db:       o.DB,
		keys:     o.Keys,
		log:      o.Log,
		acctPol:  o.AccountThrottle.orDefault(DefaultAccountThrottle()),
		ipPol:    o.IPThrottle.orDefault(DefaultIPThrottle()),
		metrics:  o.Metrics,
		grants:   o.Grants,
		audit:    o.Audit,
		mcpURL:   o.MCPURL,
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
