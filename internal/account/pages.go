package account

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/app.css
var stylesheet []byte

// StylesheetPath is where the account pages' one stylesheet is served.
const StylesheetPath = "/static/app.css"

// pages holds the parsed templates and the stylesheet's content hash.
type pages struct {
	byName  map[string]*template.Template
	cssHash string
}

func newPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range []string{"signup", "login", "account", "policy", "error"} {
		t, err := template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s page: %w", name, err)
		}
		p.byName[name] = t
	}
	sum := sha256.Sum256(stylesheet)
	p.cssHash = hex.EncodeToString(sum[:6])
	return p, nil
}

// pageData is what every template sees; pages use the fields they need.
type pageData struct {
	Title         string
	StylesheetURL string
	User          *User
	SessionCSRF   string // token of the signed-in forms (sign out, revoke)
	FormCSRF      string // token of an anonymous form (login, sign-up)
	Error         string
	Notice        string

	Email         string
	Next          string
	FormAction    string
	PolicyVersion string
	PolicyPending bool // the user has not accepted the current policy (C3)
	Consent       bool // the sign-up form's privacy-policy tick, kept after an error
	MCPURL        string
	MinPassword   int
	MaxPassword   int
	Grants        []grantRow

	RequestID string
	Back      string
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

// render writes page name with the page CSP (httpx.HTMLPage: no script,
// same-origin styles and forms, no framing). It renders into a buffer
// first, so a template error becomes a clean 500 rather than half a page.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.StylesheetURL = StylesheetPath + "?v=" + s.pages.cssHash
	d.MinPassword, d.MaxPassword = MinPasswordLength, MaxPasswordLength
	if d.User != nil && d.SessionCSRF == "" {
		d.SessionCSRF = s.CSRFToken(r)
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		httpx.HTMLPage(w)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<!doctype html><title>Error</title><p>Something went wrong.</p>"))
		return
	}
	httpx.HTMLPage(w)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorPage renders a generic error with the request's correlation id.
func (s *Service) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg, back string) {
	s.render(w, r, status, "error", pageData{
		Title: title, Error: msg, RequestID: logging.RequestID(r.Context()), Back: back,
	})
}

// NotFoundPage is the page a browser gets for an unknown address, with the
// signed-in header when there is a session.
func (s *Service) NotFoundPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Page not found", Error: "There is no page at this address.",
		RequestID: logging.RequestID(r.Context()), Back: "/account"}
	if u, ok := s.CurrentUser(r); ok {
		d.User = &u
	}
	s.render(w, r, http.StatusNotFound, "error", d)
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

// Stylesheet serves the account pages' CSS. A request naming the current
// content hash may be cached for a year (the URL changes with the content);
// any other request is revalidated.
func (s *Service) Stylesheet(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == s.pages.cssHash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(stylesheet)
}
