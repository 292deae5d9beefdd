package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/internal/web"
)

// addRoutes is the one place every URL of the server is declared; every
// route is mounted in every configuration.
func addRoutes(r chi.Router, d deps) {
	cfg, a, o, p := d.cfg, d.accounts, d.oauth, d.privacy
	r.Use(
		d.httpMetrics, // outermost: it must see the final status, 500s from Recover included
		d.tracing,     // outside Recover too, for the same reason
		httpx.RequestID,
		httpx.Recover(d.log),
		httpx.AccessLog(d.log),
		httpx.SecurityHeaders(cfg.HTTPS()),
		clientIP(cfg),
		httpx.MaxBody(cfg.MaxBodyBytes),
		httpx.Timeout(cfg.RequestTimeout),
	)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		// A person gets a page with a title and a way back; an API client
		// its JSON error (content negotiation on Accept).
		if httpx.WantsHTML(r) {
			a.NotFoundPage(w, r)
			return
		}
		httpx.WriteError(w, r, http.StatusNotFound, "not_found", "no such resource")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this resource")
	})

	r.Get("/healthz", httpx.Healthz)
	// A person opening the server's URL lands on their account, or on the
	// login page (which links to sign-up) when not signed in.
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	r.Get("/readyz", httpx.Readyz(d.ping))
	if token := cfg.Plugin.AppsChallenge; token != "" {
		// Unset: the path stays a 404 like any unknown one.
		r.Get(AppsChallengePath, appsChallenge(token))
	}
	mountMCP(r, d)

	r.Get(page.StylesheetPath, page.Stylesheet)
	r.Group(func(r chi.Router) {
		// Every state-changing account route: Fetch-metadata/Origin check
		// here, plus the form token each handler verifies (A7); the
		// signed-in forms are also limited per user (LimitSessionPosts).
		r.Use(a.ProtectForms)
		r.Get("/signup", a.SignupPage)
		r.With(a.LimitFormPosts).Post("/signup", a.Signup)
		r.Get("/login", a.LoginPage)
		r.With(a.LimitFormPosts).Post("/login", a.Login)
		r.With(a.LimitSessionPosts).Post("/logout", a.Logout)
		r.With(a.RequireLogin).Get("/account", a.AccountPage)
		r.With(a.RequireLogin, a.LimitSessionPosts).Post("/account/connected-apps/revoke", a.RevokeGrant)
		r.With(a.RequireLogin).Get(account.PolicyConsentPath, a.PolicyConsentPage)
		r.With(a.RequireLogin, a.LimitFormPosts, a.LimitSessionPosts).Post(account.PolicyConsentPath, a.PolicyConsent)
	})
	// The task page processes the user's tasks: privacy-policy consent
	// first (C3).
	r.With(a.RequirePolicyConsent).Get(web.TaskPath, d.taskPage.ServeHTTP)

	// The authorization server. Metadata, /register, /token and /revoke
	// allow CORS (no cookies are involved); /authorize never does (RFC 9700
	// §2.6). One RFC 8414 document and one RFC 9728 document (path form),
	// and nothing else: taskbridge is no OpenID provider, so it serves no
	// /.well-known/openid-configuration, and it protects /mcp, not its
	// origin, so it serves no root protected-resource document (RFC 9728
	// §3.3 would make that one describe the origin). README "OpenID
	// Connect" says why.
	lim := cfg.OAuth
	r.With(oauth.CORS).Get("/.well-known/oauth-authorization-server", o.AuthServerMetadata)
	r.With(oauth.CORS).Get(oauth.ResourceMetadataPath, o.ProtectedResourceMetadata)
	for _, path := range []string{"/.well-known/oauth-authorization-server", oauth.ResourceMetadataPath} {
		r.Options(path, oauth.Preflight)
	}
	r.With(oauth.CORS, perIP(d, "/register", lim.RegisterPerMinute)).Post("/register", o.Register)
	r.With(oauth.CORS, perIP(d, "/token", lim.TokenPerMinute)).Post("/token", o.Token)
	r.With(oauth.CORS, perIP(d, "/revoke", lim.TokenPerMinute)).Post("/revoke", o.Revoke)
	for _, path := range []string{"/register", "/token", "/revoke"} {
		r.Options(path, oauth.Preflight)
	}
	r.With(perIP(d, "/authorize", lim.AuthorizePerMinute)).Get("/authorize", o.Authorize)
	// The consent form is a signed-in form too (LimitSessionPosts).
	r.With(perIP(d, "/authorize", lim.AuthorizePerMinute), o.ConsentProtection, a.LimitSessionPosts).Post("/authorize", o.AuthorizeDecision)

	// The privacy policy page, the "Your data" page with export and
	// erasure (behind the session, CSRF checked on the post), and the
	// bearer API for export and for starting a deletion (D4, D5, D9).
	r.Get("/privacy", p.PrivacyPage)
	r.Group(func(r chi.Router) {
		r.Use(a.ProtectForms, a.RequireLogin)
		r.Get(privacy.AccountDataPath, p.DataPage)
		r.Get("/account/export", p.AccountExport)
		r.With(a.LimitFormPosts, a.LimitSessionPosts).Post("/account/delete", p.AccountDelete)
	})
	r.Group(func(r chi.Router) {
		r.Use(o.RequireBearer, perGrant(d, "/api", cfg.Privacy.APIPerMinute))
		r.Get("/api/export", p.APIExport)
		r.Delete("/api/account", p.APIDeleteAccount)
	})
}

// perIP limits requests per client IP (IPv6 per /64) and answers 429 with
// Retry-After (I8).
func perIP(d deps, route string, perMinute int) func(http.Handler) http.Handler {
	return limitBy(d, route, perMinute, func(r *http.Request) (string, error) { return requestIP(r), nil })
}

// perGrant limits authenticated requests per connected app, the bucket of
// /mcp (principalKey), and answers 429 with Retry-After (I8). It goes after
// the bearer authentication.
func perGrant(d deps, route string, perMinute int) func(http.Handler) http.Handler {
	return limitBy(d, route, perMinute, func(r *http.Request) (string, error) { return principalKey(r, requestIP(r)), nil })
}

func requestIP(r *http.Request) string {
	return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
}

// limitBy is perMinute requests a minute per key, counted as route (L6).
func limitBy(d deps, route string, perMinute int, key httprate.KeyFunc) func(http.Handler) http.Handler {
	return httprate.LimitBy(perMinute, time.Minute, key,
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			d.rateLimited(route)
			httpx.WriteError(w, r, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
		}))
}

// clientIP resolves the caller's address for rate limiting: from
// X-Forwarded-For only when the peer is a configured trusted proxy, so a
// client cannot pick its own rate-limit bucket.
func clientIP(cfg interface{ TrustedProxyCIDRs() []string }) func(http.Handler) http.Handler {
	if cidrs := cfg.TrustedProxyCIDRs(); len(cidrs) > 0 {
		return middleware.ClientIPFromXFF(cidrs...)
	}
	return middleware.ClientIPFromRemoteAddr
}
