package privacy

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/logging"
)

//go:embed templates/*.html
var templateFS embed.FS

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range []string{"privacy", "data", "message"} {
		t, err := template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s page: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// pageData is what the templates see.
type pageData struct {
	Title         string
	StylesheetURL string
	SignedIn      bool
	Error         string
	Notice        string
	RequestID     string
	Back          string

	Policy         template.HTML
	CSRF           string
	Phrase         string
	Pending        *pendingRow
	Consents       []consentRow
	PolicyConsents []policyConsentRow
}

// pendingRow is a pending deletion request; ClientName is the requesting
// app's registered name when the consent records know it.
type pendingRow struct{ ClientName, ClientID, RequestedAt, ExpiresAt string }

type consentRow struct {
	When, ClientName, ClientID, Action, Version string
	Scopes                                      []string
}

type policyConsentRow struct{ Version, When string }

func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// render writes a page with the page CSP and no-store (httpx.HTMLPage),
// rendering into a buffer first so an error is a clean 500.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.StylesheetURL = account.StylesheetPath
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
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

func (s *Service) message(w http.ResponseWriter, r *http.Request, status int, title, errText, back string) {
	s.render(w, r, status, "message", pageData{Title: title, Error: errText, Back: back,
		RequestID: logging.RequestID(r.Context())})
}

func (s *Service) pageError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err)
	s.message(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not complete this request. Nothing was changed. Please try again in a moment.", AccountDataPath)
}

// PrivacyPage serves PRIVACY.md as HTML (GET /privacy, D9, C2), to anyone.
func (s *Service) PrivacyPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Privacy policy", Policy: s.policy}
	if s.accounts != nil {
		if _, d.SignedIn = s.accounts.CurrentUser(r); d.SignedIn {
			d.CSRF = s.accounts.CSRFToken(r) // the header's sign-out form
		}
	}
	s.render(w, r, http.StatusOK, "privacy", d)
}
