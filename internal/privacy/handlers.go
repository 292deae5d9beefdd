package privacy

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ConfirmationPhrase is what the user types to confirm an erasure.
const ConfirmationPhrase = "delete my account"

// signedIn is the account of the session, or false (the routes sit behind
// account.RequireLogin, so false means the session just ended).
func (s *Service) signedIn(w http.ResponseWriter, r *http.Request) (account.User, bool) {
	if s.accounts == nil {
		httpx.WriteError(w, r, http.StatusNotFound, "not_found", "no such resource")
		return account.User{}, false
	}
	u, ok := s.accounts.CurrentUser(r)
	if !ok {
		http.Redirect(w, r, account.LoginURL(AccountDataPath), http.StatusSeeOther)
	}
	return u, ok
}

// DataPage is "Your data" (GET /account/data): export, the consent records
// (P4, C3), a pending deletion request, and the delete form.
func (s *Service) DataPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	d := pageData{Frame: page.Frame{Title: "Your data", SignedIn: true, SessionCSRF: s.accounts.CSRFToken(r)}, Phrase: ConfirmationPhrase}
	ctx := r.Context()
	if err := s.fillConsents(ctx, u, &d); err != nil {
		s.log.ErrorContext(ctx, "list consent records", "err", err)
		d.Error = "Your consent records could not be loaded. Reload the page to try again."
	}
	pending, err := s.PendingDeletion(ctx, u.ID)
	if err != nil {
		s.pageError(w, r, "read deletion request", err)
		return
	}
	if pending != nil {
		d.Pending = &pendingRow{ClientID: pending.ClientID, RequestedAt: formatTime(pending.RequestedAt), ExpiresAt: formatTime(pending.ExpiresAt)}
		// Name the app as the person knows it, from the consent records.
		for _, c := range d.Consents {
			if c.ClientID == pending.ClientID && c.ClientName != "" {
				d.Pending.ClientName = c.ClientName
				break
			}
		}
	}
	s.pages.Render(w, r, http.StatusOK, "data", &d)
}

func (s *Service) fillConsents(ctx context.Context, u account.User, d *pageData) error {
	if s.consents != nil {
		recs, err := s.consents.ListConsentRecords(ctx, u.ID)
		if err != nil {
			return err
		}
		for i := len(recs) - 1; i >= 0; i-- { // newest first
			c := recs[i]
			row := consentRow{When: formatTime(c.OccurredAt), ClientName: c.ClientName, ClientID: c.ClientID,
				Action: consentAction(c.Action), Version: c.ConsentVersion}
			for _, sc := range c.Scopes {
				row.Scopes = append(row.Scopes, string(sc))
			}
			d.Consents = append(d.Consents, row)
		}
	}
	var accepted []postgres.AcceptedPolicy
	err := s.db.InUserTx(ctx, u.ID, func(tx postgres.Querier) error {
		var err error
		accepted, err = postgres.AcceptedPolicies(ctx, tx, u.ID)
		return err
	})
	for _, a := range accepted {
		d.PolicyConsents = append(d.PolicyConsents, policyConsentRow{Version: a.Version, When: formatTime(a.AcceptedAt)})
	}
	return err
}

func consentAction(a string) string {
	switch a {
	case "grant":
		return "Allowed"
	case "deny":
		return "Declined"
	case "revoke":
		return "Disconnected"
	}
	return a
}

// AccountExport downloads the signed-in user's data (GET /account/export,
// D5). A GET changes nothing, but a cross-site page could still make the
// browser fetch it (the session cookie is SameSite=Lax): the response
// cannot be read cross-origin, and requests the browser marks cross-site
// are refused anyway, so other sites cannot fill the audit trail with
// exports.
func (s *Service) AccountExport(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		s.message(w, r, http.StatusForbidden, "Download refused",
			"Start the download from your account's data page.", AccountDataPath)
		return
	}
	u, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	release, refused := s.exports.acquire(w, r, u.ID)
	if refused != "" {
		s.message(w, r, http.StatusTooManyRequests, "Download not started", string(refused), AccountDataPath)
		return
	}
	defer release()
	s.streamExport(w, r, func(ew io.Writer) error { return s.WriteExport(r.Context(), ew, u.ID, "account_page", "") })
}

// APIExport is GET /api/export for a bearer token with tasks.read (D5):
// the tasks only, which is what the consent page's "See your tasks"
// covers; the whole account is for the account page's export.
func (s *Service) APIExport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.bearerPrincipal(w, r, identity.ScopeTasksRead)
	if !ok {
		return
	}
	release, refused := s.exports.acquire(w, r, p.UserID)
	if refused != "" {
		httpx.WriteError(w, r, http.StatusTooManyRequests, "rate_limited", string(refused))
		return
	}
	defer release()
	s.streamExport(w, r, func(ew io.Writer) error { return s.WriteTasksExport(r.Context(), ew, p.UserID, p.ClientID) })
}

// streamExport sends the document write produces as a download.
func (s *Service) streamExport(w http.ResponseWriter, r *http.Request, write func(io.Writer) error) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="taskbridge-export-`+s.now().UTC().Format("2006-01-02")+`.json"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	sw := &startedWriter{w: w}
	err := write(sw)
	if err == nil {
		return
	}
	if errors.Is(err, ErrNoAccount) && !sw.started {
		// A token or session that outlived its account (another replica's
		// token cache, at most oauth.TokenCacheTTL): the caller is no one.
		h.Del("Content-Disposition")
		httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "the account no longer exists")
		return
	}
	s.log.ErrorContext(r.Context(), "export failed", "err", err)
	if !sw.started {
		h.Del("Content-Disposition")
		httpx.WriteError(w, r, http.StatusInternalServerError, "server_error", "the export could not be produced; try again")
		return
	}
	// Headers and part of the document are out: abort the connection so
	// the client sees a failed download, not a short file that parses.
	panic(http.ErrAbortHandler)
}

// startedWriter records whether anything was written.
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// AccountDelete erases the signed-in user's account (POST /account/delete,
// D4): CSRF token, the user's password again (a borrowed session or a
// forged click is not enough) and the typed phrase. Wrong passwords are
// limited per session (account.Reauthenticate), not by the login form's
// per-account lockout, which anyone who knows the email can trigger: a
// signed-in owner can always delete the account.
func (s *Service) AccountDelete(w http.ResponseWriter, r *http.Request) {
	u, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	if !s.accounts.ValidCSRF(r) {
		s.message(w, r, http.StatusForbidden, "Form expired",
			"This form has expired or did not come from this site. Reload the page and try again.", AccountDataPath)
		return
	}
	ctx := r.Context()
	phrase := strings.ToLower(strings.Join(strings.Fields(r.PostFormValue("confirmation")), " "))
	if subtle.ConstantTimeCompare([]byte(phrase), []byte(ConfirmationPhrase)) != 1 {
		s.refuseErase(ctx, u, "confirmation")
		s.message(w, r, http.StatusBadRequest, "Not deleted",
			"Nothing was deleted: type the confirmation exactly as shown.", AccountDataPath)
		return
	}
	re, err := s.accounts.Reauthenticate(r, r.PostFormValue("password"))
	if err != nil {
		s.pageError(w, r, "verify password", err)
		return
	}
	if re.LockedFor > 0 {
		s.refuseErase(ctx, u, "throttled")
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, math.Ceil(re.LockedFor.Seconds())))))
		s.message(w, r, http.StatusTooManyRequests, "Not deleted",
			"Nothing was deleted: too many wrong passwords were entered in this session. Wait a few minutes, then try again.", AccountDataPath)
		return
	}
	if !re.OK {
		s.refuseErase(ctx, u, "password")
		s.message(w, r, http.StatusForbidden, "Not deleted",
			"Nothing was deleted: the password was not right.", AccountDataPath)
		return
	}
	if _, err := s.EraseAccount(ctx, u.ID, "account_page"); err != nil {
		s.pageError(w, r, "erase account", err)
		return
	}
	s.pages.Notice(w, r, http.StatusOK, page.Frame{Title: "Your account is deleted"},
		"Your account and all its data were deleted. Connected apps have lost access. Thank you for using taskbridge.")
}

// refuseErase audits a refused erasure attempt (L4).
func (s *Service) refuseErase(ctx context.Context, u account.User, reason string) {
	err := s.db.InUserTx(context.WithoutCancel(ctx), u.ID, func(tx postgres.Querier) error {
		return s.audit.Append(ctx, tx, audit.Event{Type: eventEraseRefused, Outcome: audit.OutcomeDenied, ActorID: u.ID,
			RequestID: logging.RequestID(ctx), Detail: map[string]any{"reason": reason}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "audit refused erasure", "err", err)
	}
}

// deletionStarted is the answer of /api/account (method DELETE).
type deletionStarted struct {
	Status     string `json:"status"`
	ConfirmURL string `json:"confirm_url"`
	ExpiresAt  string `json:"expires_at"`
	Message    string `json:"message"`
}

// APIDeleteAccount serves /api/account (method DELETE) for a bearer token with
// tasks.write. A token cannot re-authenticate the user, so it only starts
// the deletion: 202 with the account page where the human confirms it with
// the password (P6). Nothing is deleted yet.
func (s *Service) APIDeleteAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := s.bearerPrincipal(w, r, identity.ScopeTasksWrite)
	if !ok {
		return
	}
	ctx := r.Context()
	var req DeletionRequest
	err := s.db.InUserTx(ctx, p.UserID, func(tx postgres.Querier) error {
		var err error
		if req, err = s.StartDeletion(ctx, tx, p.UserID, "api", p.ClientID); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Type: eventDeletionRequest, Outcome: audit.OutcomeSuccess, ActorID: p.UserID,
			ClientID: p.ClientID, RequestID: logging.RequestID(ctx), Detail: map[string]any{"via": "api"}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "start deletion", "err", err)
		httpx.WriteError(w, r, http.StatusInternalServerError, "server_error", "the request could not be recorded; nothing was deleted")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusAccepted, deletionStarted{
		Status: "pending_confirmation", ConfirmURL: req.ConfirmURL, ExpiresAt: req.ExpiresAt.UTC().Format(time.RFC3339),
		Message: "Nothing has been deleted. The account owner must confirm the deletion on the account page with their password.",
	})
}

// bearerPrincipal is the caller of a bearer-protected API route (behind
// oauth.RequireBearer), which must hold scope; otherwise it answers 403
// insufficient_scope.
func (s *Service) bearerPrincipal(w http.ResponseWriter, r *http.Request, scope identity.Scope) (identity.Principal, bool) {
	p, ok := identity.FromContext(r.Context())
	if !ok {
		httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "a bearer token is required")
		return p, false
	}
	if !p.Has(scope) {
		oauth.InsufficientScope(w, r, []identity.Scope{scope})
		return p, false
	}
	return p, true
}
