package account

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Notices the account page can show after a redirect; the query names one,
// never supplies the text.
func noticeText(key string) string {
	switch key {
	case "disconnected":
		return "The app was disconnected. It can no longer reach your tasks."
	}
	return ""
}

// AccountPage shows who is signed in and the connected apps (GET /account,
// behind RequireLogin).
func (s *Service) AccountPage(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		http.Redirect(w, r, LoginURL("/account"), http.StatusSeeOther)
		return
	}
	d := pageData{Frame: page.Frame{Title: "Your account", SessionCSRF: sessionCSRFToken(sess.csrfSecret)}, User: &sess.user,
		Notice: noticeText(r.URL.Query().Get("notice")), PolicyPending: !sess.policyAccepted, PolicyVersion: s.policyVer,
		MCPURL: s.mcpURL}
	grants, err := s.grants.ListGrants(r.Context(), sess.user.ID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list connected apps", "err", err)
		d.Error = "Your connected apps could not be loaded. Reload the page to try again."
	}
	d.Grants = newGrantRows(grants)
	s.render(w, r, http.StatusOK, "account", d)
}

// RevokeGrant disconnects one app (POST /account/connected-apps/revoke,
// behind RequireLogin): session CSRF token, then the grant lister revokes
// it for this user only.
func (s *Service) RevokeGrant(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !validSessionToken(r, sess) {
		s.csrfRefused(w, r)
		return
	}
	id, err := uuid.Parse(r.PostFormValue("grant_id"))
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Bad request", "That app could not be found.", "/account")
		return
	}
	err = s.grants.RevokeGrant(r.Context(), sess.user.ID, id)
	if errors.Is(err, ErrGrantNotFound) {
		// A second click, a stale page or a made-up id: the user's mistake
		// (or nothing at all), not the server's.
		s.errorPage(w, r, http.StatusNotFound, "Not connected",
			"That app is not connected to your account (it may have been disconnected already). Nothing was changed.", "/account")
		return
	}
	if err != nil {
		s.serverError(w, r, "revoke grant", err)
		return
	}
	http.Redirect(w, r, "/account?notice=disconnected", http.StatusSeeOther)
}

// Logout ends the session (POST /logout): the row is deleted, so the old
// cookie is worthless even if it was copied, and the cookie is cleared.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.resume(r)
	if err != nil {
		s.serverError(w, r, "resume session", err)
		return
	}
	if !ok {
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !validSessionToken(r, sess) {
		s.csrfRefused(w, r)
		return
	}
	ctx := r.Context()
	err = s.db.InUserTx(ctx, sess.user.ID, func(tx postgres.Querier) error {
		if err := postgres.DeleteAccountSession(ctx, tx, sess.idHash); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, authEvent(r, eventLogout, audit.OutcomeSuccess, sess.user.ID, nil))
	})
	if err != nil {
		s.serverError(w, r, "log out", err)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
