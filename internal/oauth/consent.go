package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

const writeScopeField = "grant_write"

// scopeWording is each scope in plain words, as the consent page shows it.
var scopeWording = map[identity.Scope]string{
	identity.ScopeTasksRead:  "See your tasks: titles, notes, due dates, priorities and tags, and your email address shortened (like ja…@example.com), so the app can tell your accounts apart.",
	identity.ScopeTasksWrite: "Create, change, complete and delete your tasks, and ask for your account to be deleted (you confirm that yourself, with your password).",
}

type consentScope struct {
	Description string
	Optional    bool
	Field       string
}

type consentPage struct {
	ClientName                                 string
	NameWarning                                string
	Unverified                                 bool
	PublishedBy                                string
	RedirectScheme, RedirectHost, RedirectRest string
	Loopback                                   bool
	Scopes                                     []consentScope
	RefreshDays                                int
	RequestToken                               string
	PrivacyURL                                 string
	Action                                     string
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, req *authorizeRequest, handle string) {
	page := consentPage{
		ClientName: req.Client.Name, RequestToken: handle,
		PrivacyURL: s.cfg.Issuer() + "/privacy", Action: s.cfg.Issuer() + "/authorize",
	}
	switch req.Client.Kind {
	case "cimd":
		if u, err := url.Parse(req.Client.ID); err == nil {
			page.PublishedBy = u.Host
		}
	default:
		page.Unverified = true
	}
	if page.ClientName == "" {
		page.ClientName = "An unnamed app"
	}
	page.NameWarning = nameWarning(page.ClientName)
	page.RedirectScheme, page.RedirectHost, page.RedirectRest = splitRedirectForDisplay(req.RedirectURI)
	if u, err := url.Parse(req.RedirectURI); err == nil {
		page.Loopback = isLoopbackHost(u.Hostname())
	}
	for _, sc := range req.Scopes {
		words, ok := scopeWording[sc]
		if !ok {
			continue
		}
		cs := consentScope{Description: words}
		if sc == identity.ScopeTasksWrite {
			cs.Optional, cs.Field = true, writeScopeField
		}
		page.Scopes = append(page.Scopes, cs)
	}
	if issuesRefreshToken(req.Client) {
		page.RefreshDays = int(s.cfg.OAuth.RefreshTokenTTL.Hours() / 24)
	}
	// Allow and Cancel both end in a 303 to the client's redirect URI,
	// which the form-action directive must name (httpx.HTMLPageFormTo).
	httpx.HTMLPageFormTo(w, redirectOrigin(req.RedirectURI))
	if err := s.pages.ExecuteTemplate(w, "consent.html", page); err != nil {
		s.log.ErrorContext(r.Context(), "render consent page", "error", err.Error())
	}
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
// the scopes the user ticked (write access is unticked until the user ticks
// it, P5), or cancel. Either way the decision is
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
		s.log.ErrorContext(ctx, "take authorization request", "error", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	granted := pending.Scopes
	if r.PostForm.Get(writeScopeField) != "1" {
		granted = slices.DeleteFunc(slices.Clone(granted), func(s identity.Scope) bool { return s == identity.ScopeTasksWrite })
	}
	if r.PostForm.Get("decision") != "allow" || !hasTaskScope(granted) {
		if err := s.store.recordDenial(ctx, userID, pending, now); err != nil {
			s.log.ErrorContext(ctx, "record denial", "error", err.Error())
		}
		s.redirectError(w, r, pending.RedirectURI, pending.State, "access_denied", "the user did not allow access")
		return
	}
	code, err := s.store.approve(ctx, userID, pending, granted, now, s.cfg.OAuth.CodeTTL)
	if err != nil {
		s.log.ErrorContext(ctx, "approve authorization", "error", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	s.redirectCode(w, r, pending.RedirectURI, pending.State, code)
}
