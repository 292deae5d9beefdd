package account

import (
	"net/http"
	"net/url"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// PolicyConsentPath is the page where a signed-in user accepts the current
// privacy-policy version (C3). Sign-up records the acceptance on its own
// form; this page is for everyone else: accounts an operator made with
// `taskbridge users create`, and every account after the policy's version
// number changes.
const PolicyConsentPath = "/account/privacy-consent"

const eventPolicyConsent = "auth.privacy_consent"

// PolicyConsentURL is the consent page that returns to next afterwards.
func PolicyConsentURL(next string) string {
	if n, ok := SafeNext(next); ok {
		return PolicyConsentPath + "?next=" + url.QueryEscape(n)
	}
	return PolicyConsentPath
}

// RequirePolicyConsent is RequireLogin for pages that process the user's
// tasks: a signed-in user who has not accepted the current policy is sent
// to the consent page first (GET) or refused (anything else).
func (s *Service) RequirePolicyConsent(next http.Handler) http.Handler {
	return s.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _, _ := s.resume(r) // cached by RequireLogin
		if sess.policyAccepted {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, PolicyConsentURL(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		s.errorPage(w, r, http.StatusForbidden, "Privacy policy not accepted",
			"Accept the current privacy policy first, then try again.", PolicyConsentPath)
	}))
}

// PolicyConsentPage shows the acceptance form (GET /account/privacy-consent,
// behind RequireLogin); a user who has already accepted goes straight on.
func (s *Service) PolicyConsentPage(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		http.Redirect(w, r, LoginURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	next, _ := SafeNext(r.URL.Query().Get("next"))
	if sess.policyAccepted {
		http.Redirect(w, r, nextOrAccount(next), http.StatusSeeOther)
		return
	}
	s.renderPolicyConsent(w, r, http.StatusOK, sess, next, "")
}

func (s *Service) renderPolicyConsent(w http.ResponseWriter, r *http.Request, status int, sess *session, next, problem string) {
	s.render(w, r, status, "policy", pageData{
		Frame: page.Frame{Title: "Privacy policy", SessionCSRF: sessionCSRFToken(sess.csrfSecret), Next: next},
		User:  &sess.user, FormAction: PolicyConsentPath, PolicyVersion: s.policyVer, Error: problem,
	})
}

// PolicyConsent records the acceptance (POST /account/privacy-consent,
// behind RequireLogin): session CSRF token, the ticked box, then the
// consent row and its audit event in one transaction as the user.
func (s *Service) PolicyConsent(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !validSessionToken(r, sess) {
		s.csrfRefused(w, r)
		return
	}
	next, _ := SafeNext(r.PostFormValue("next"))
	if r.PostFormValue("consent") != "yes" {
		s.renderPolicyConsent(w, r, http.StatusBadRequest, sess, next, "To continue, tick the box to accept the privacy policy.")
		return
	}
	if !sess.policyAccepted {
		ctx := r.Context()
		err := s.db.InUserTx(ctx, sess.user.ID, func(tx postgres.Querier) error {
			if err := postgres.RecordPolicyConsent(ctx, tx, sess.user.ID, s.policyVer, s.now()); err != nil {
				return err
			}
			return s.audit.Append(ctx, tx, authEvent(r, eventPolicyConsent, audit.OutcomeSuccess, sess.user.ID,
				map[string]any{"privacy_policy_version": s.policyVer}))
		})
		if err != nil {
			s.serverError(w, r, "record privacy consent", err)
			return
		}
	}
	http.Redirect(w, r, nextOrAccount(next), http.StatusSeeOther)
}
