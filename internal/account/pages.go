package account

import (
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

//go:embed templates/*.html
var templateFS embed.FS

func parsePages(log *slog.Logger) (*page.Pages, error) {
	return page.Parse(templateFS, log, "signup", "login", "account", "policy")
}

// pageData is what every template sees; pages use the fields they need.
type pageData struct {
	page.Frame
	User     *User
	FormCSRF string // token of an anonymous form (login, sign-up)
	Error    string
	Notice   string

	Email         string
	FormAction    string
	PolicyVersion string
	PolicyPending bool // the user has not accepted the current policy (C3)
	Consent       bool // the sign-up form's privacy-policy tick, kept after an error
	MCPURL        string
	MinPassword   int
	MaxPassword   int
	Grants        []grantRow
}

// grantRow is a GrantView rendered for the page.
type grantRow struct {
	ID         string
	ClientName string
	ClientID   string
	// Connection tells apart connections of one app (two ChatGPT
	// workspaces use the same client): "connection 2 of 2", or empty
	// when the app is connected once.
	Connection string
	Scopes     []string
	CreatedAt  string
	LastUsedAt string
}

func newGrantRows(gs []GrantView) []grantRow {
	perClient := map[string]int{}
	for _, g := range gs {
		perClient[g.ClientID]++
	}
	seen := map[string]int{}
	rows := make([]grantRow, len(gs))
	for i, g := range gs {
		scopes := make([]string, len(g.Scopes))
		for j, sc := range g.Scopes {
			scopes[j] = scopeWords(sc)
		}
		rows[i] = grantRow{ID: g.ID.String(), ClientName: g.ClientName, ClientID: g.ClientID, Scopes: scopes,
			CreatedAt: formatTime(g.CreatedAt), LastUsedAt: formatTime(g.LastUsedAt)}
		seen[g.ClientID]++
		if n := perClient[g.ClientID]; n > 1 {
			rows[i].Connection = fmt.Sprintf("connection %d of %d", seen[g.ClientID], n)
		}
	}
	return rows
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// render writes page name (page.(*Pages).Render), with the signed-in
// header when d names the user.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.MinPassword, d.MaxPassword = MinPasswordLength, MaxPasswordLength
	if d.User != nil {
		d.SignedIn = true
		if d.SessionCSRF == "" {
			d.SessionCSRF = s.CSRFToken(r)
		}
	}
	s.pages.Render(w, r, status, name, &d)
}

// errorPage renders the error page with the signed-out header.
func (s *Service) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg, back string) {
	s.pages.Error(w, r, status, page.Frame{Title: title}, msg, back)
}

// NotFoundPage is the page a browser gets for an unknown address, with the
// signed-in header when there is a session.
func (s *Service) NotFoundPage(w http.ResponseWriter, r *http.Request) {
	f := page.Frame{Title: "Page not found"}
	if _, ok := s.CurrentUser(r); ok {
		f.SignedIn, f.SessionCSRF = true, s.CSRFToken(r)
	}
	s.pages.Error(w, r, http.StatusNotFound, f, "There is no page at this address.", "/account")
}

func (s *Service) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err)
	if postgres.IsUnavailable(err) || postgres.DeadlinePassed(r.Context(), err) {
		// The database is down or saturated: say so, with a retry hint (I8).
		w.Header().Set("Retry-After", "1")
		s.errorPage(w, r, http.StatusServiceUnavailable, "Temporarily unavailable",
			"The service cannot reach its database right now. Nothing was changed; please try again in a moment.", "/account")
		return
	}
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not complete this request. Please try again in a moment.", "/account")
}

// csrfRefused is the answer to a form post that failed either CSRF layer.
func (s *Service) csrfRefused(w http.ResponseWriter, r *http.Request) {
	s.log.WarnContext(r.Context(), "form refused: cross-origin or missing CSRF token", "path", r.URL.Path)
	s.errorPage(w, r, http.StatusForbidden, "Form expired",
		"This form has expired or did not come from this site. Go back, reload the page and try again.", "/account")
}

// tooManyAttempts is the 429 page; retryAfter is already set by the caller.
func (s *Service) tooManyAttempts(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusTooManyRequests, "Too many attempts",
		"Too many attempts. Wait a few minutes, then try again.", "/login")
}

// rateLimited answers a request refused by the per-IP request limit.
func (s *Service) rateLimited(w http.ResponseWriter, r *http.Request) {
	route := "/login"
	if r.URL.Path == "/signup" {
		route = "/signup"
	}
	s.metrics.Throttled(route)
	s.log.WarnContext(r.Context(), "rate limited", "route", route)
	s.tooManyAttempts(w, r)
}
