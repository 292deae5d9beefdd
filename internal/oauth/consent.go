package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

type consentPage struct {
	page.Frame
	ClientName                                 string
	NameWarning                                string
	Unverified                                 bool
	PublishedBy                                string
	RedirectScheme, RedirectHost, RedirectRest string
	Loopback                                   bool
	Scopes                                     []identity.ScopeDef // the table rows of the requested scopes the page lists
	RefreshDays                                int
	RequestToken                               string
	Action                                     string
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, req *authorizeRequest, handle string) {
	consent := consentPage{
		Frame:      page.Frame{Nav: page.NavBrand, PrivacyURL: s.cfg.Issuer() + "/privacy"},
		ClientName: req.Client.Name, RequestToken: handle, Action: s.cfg.Issuer() + "/authorize",
	}
	switch req.Client.Kind {
	case "cimd":
		if u, err := url.Parse(req.Client.ID); err == nil {
			consent.PublishedBy = u.Host
		}
	default:
		consent.Unverified = true
	}
	if consent.ClientName == "" {
		consent.ClientName = "An unnamed app"
	}
	consent.NameWarning = nameWarning(consent.ClientName)
	consent.RedirectScheme, consent.RedirectHost, consent.RedirectRest = splitRedirectForDisplay(req.RedirectURI)
	if u, err := url.Parse(req.RedirectURI); err == nil {
		consent.Loopback = isLoopbackHost(u.Hostname())
	}
	for _, sc := range req.Scopes {
		d, _ := identity.LookupScope(sc)
		if d.Consent == "" {
			continue
		}
		consent.Scopes = append(consent.Scopes, d)
	}
	if issuesRefreshToken(req.Client) {
		consent.RefreshDays = int(s.cfg.OAuth.RefreshTokenTTL.Hours() / 24)
	}
	// Allow and Cancel both end in a 303 to the client's redirect URI,
	// which the form-action directive must name (httpx.HTMLPageFormTo).
	s.pages.RenderFormTo(w, r, redirectOrigin(req.RedirectURI), http.StatusOK, "consent", &consent)
}

// redirectOrigin is scheme://host[:port] of a validated redirect URI, or ""
// when it has none.
func redirectOrigin(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// issuesRefreshToken: refresh tokens go to clients that registered the
// refresh_token grant (the MCP guidance leaves this to the server; requiring
// offline_access as well would strand hosts that do not send it).
func issuesRefreshToken(c *postgres.OAuthClient) bool {
	return slices.Contains(c.GrantTypes, grantRefreshToken)
}

// ConsentProtection guards the consent form against cross-site submission
// with Go's CrossOriginProtection (Sec-Fetch-Site / Origin); the form also
// carries a single-use handle bound to the pending request and the user.
func (s *Server) ConsentProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.localErrorPage(w, r, http.StatusForbidden, "This form was submitted from another site and was refused.")
	}))
	return cop.Handler(next)
}

// AuthorizeDecision handles the consent form (POST /authorize): allow with
// the scopes the user ticked (an optional scope, such as write access, is
// unticked until the user ticks it, P5), or cancel. Either way the decision is
// recorded and the user returns to the client's validated redirect URI.
func (s *Server) AuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.localErrorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	userID, ok := s.authn.CurrentUser(r)
	if !ok {
		s.localErrorPage(w, r, http.StatusUnauthorized, "You are no longer signed in. Start connecting the app again.")
		return
	}
	now := s.now().UTC()
	pending, err := s.store.takePendingRequest(ctx, userID, r.PostForm.Get("request"), now)
	if errors.Is(err, ErrNotFound) {
		s.localErrorPage(w, r, http.StatusBadRequest, "This request has expired or was already answered. Start connecting the app again.")
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "take authorization request", "err", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	granted := slices.DeleteFunc(slices.Clone(pending.Scopes), func(sc identity.Scope) bool {
		d, _ := identity.LookupScope(sc)
		return d.Optional && r.PostForm.Get(d.ConsentField) != "1"
	})
	if r.PostForm.Get("decision") != "allow" || !hasResourceScope(granted) {
		if err := s.store.recordDenial(ctx, userID, pending, now); err != nil {
			s.log.ErrorContext(ctx, "record denial", "err", err.Error())
		}
		s.redirectError(w, r, pending.RedirectURI, pending.State, "access_denied", "the user did not allow access")
		return
	}
	code, err := s.store.approve(ctx, userID, pending, granted, now, s.cfg.OAuth.CodeTTL)
	if err != nil {
		s.log.ErrorContext(ctx, "approve authorization", "err", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	s.redirectCode(w, r, pending.RedirectURI, pending.State, code)
}
