package account

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
)

// RateLimit caps requests per client IP in a sliding window.
type RateLimit struct {
	Requests int
	Window   time.Duration
}

// DefaultRateLimit allows ten login or sign-up submissions a minute from
// one address: plenty for people, a hard ceiling for scripts.
func DefaultRateLimit() RateLimit { return RateLimit{Requests: 10, Window: time.Minute} }

func (l RateLimit) orDefault() RateLimit {
	if l.Requests <= 0 || l.Window <= 0 {
		return DefaultRateLimit()
	}
	return l
}

// ipLimiter is the per-replica request-rate limit on the form posts. It
// complements the failure lockout in PostgreSQL (which all replicas share):
// this one bounds raw request volume, including argon2id work, cheaply and
// before any database or hashing cost.
type ipLimiter struct {
	rl *httprate.RateLimiter
}

func newIPLimiter(l RateLimit, onLimited http.HandlerFunc) *ipLimiter {
	return &ipLimiter{rl: httprate.NewRateLimiter(l.Requests, l.Window,
		httprate.WithKeyFuncs(clientIPKey, httprate.KeyByEndpoint),
		httprate.WithLimitHandler(onLimited),
		// Only Retry-After: the X-RateLimit-* headers would tell a script
		// exactly how to pace itself.
		httprate.WithResponseHeaders(httprate.ResponseHeaders{RetryAfter: "Retry-After"}),
	)}
}

// clientIPKey is the address the router resolved (trusted proxies only), an
// IPv6 client bucketed by its /64.
func clientIPKey(r *http.Request) (string, error) {
	return clientIP(r), nil
}

func clientIP(r *http.Request) string {
	return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
}

// LimitFormPosts rate-limits the login and sign-up posts per client IP and
// path, answering 429 with Retry-After.
func (s *Service) LimitFormPosts(next http.Handler) http.Handler {
	return s.limiter.rl.Handler(next)
}
