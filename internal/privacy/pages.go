package privacy

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/taskbridge/taskbridge/internal/page"
)

//go:embed templates/*.html
var templateFS embed.FS

func parsePages(log *slog.Logger) (*page.Pages, error) {
	return page.Parse(templateFS, log, "privacy", "data")
}

// pageData is what the templates see.
type pageData struct {
	page.Frame
	Error string

	Policy         template.HTML
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

// message renders the error page with the signed-out header.
func (s *Service) message(w http.ResponseWriter, r *http.Request, status int, title, errText, back string) {
	s.pages.Error(w, r, status, page.Frame{Title: title}, errText, back)
}

func (s *Service) pageError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err)
	s.message(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not complete this request. Nothing was changed. Please try again in a moment.", AccountDataPath)
}

// PrivacyPage serves PRIVACY.md as HTML (GET /privacy, D9, C2), to anyone.
func (s *Service) PrivacyPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Frame: page.Frame{Title: "Privacy policy"}, Policy: s.policy}
	if s.accounts != nil {
		if _, d.SignedIn = s.accounts.CurrentUser(r); d.SignedIn {
			d.SessionCSRF = s.accounts.CSRFToken(r) // the header's sign-out form
		}
	}
	s.pages.Render(w, r, http.StatusOK, "privacy", &d)
}
