package account

import (
	"context"
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

// DefaultSessionFormRate allows thirty posts a minute of one signed-in
// form by one user: far more than a person clicks.
func DefaultSessionFormRate() RateLimit { return RateLimit{Requests: 30, Window: time.Minute} }

// userLimiter is the per-replica limit on a signed-in user's form posts.
// The per-IP limit cannot tell the users behind one address apart, nor
// stop one user spread over many addresses.
type userLimiter struct {
	rl *httprate.RateLimiter
}

func newUserLimiter(l RateLimit) *userLimiter {
	if l.Requests <= 0 || l.Window <= 0 {
		l = DefaultSessionFormRate()
	}
	return &userLimiter{rl: httprate.NewRateLimiter(l.Requests, l.Window,
		httprate.WithResponseHeaders(httprate.ResponseHeaders{RetryAfter: "Retry-After"}))}
}

// LimitSessionPosts rate-limits the state-changing forms of a signed-in
// user per user and path (A7, I8), answering 429 with Retry-After. The
// session it reads is kept for the handler; a request without one passes
// through, and the handler refuses it as before.
func (s *Service) LimitSessionPosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.resume(r)
		if err != nil {
			s.serverError(w, r, "resume session", err)
			return
		}
		if ok && s.userLimiter.rl.OnLimit(w, r, sess.user.ID.String()+" "+r.URL.Path) {
			s.metrics.Throttled(r.URL.Path)
			s.log.WarnContext(r.Context(), "form posts rate limited", "route", r.URL.Path)
			s.errorPage(w, r, http.StatusTooManyRequests, "Too many requests",
				"This form was sent too often. Wait a minute, then try again. Nothing was changed.", "/account")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}
