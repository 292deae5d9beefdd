package account

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// SignupPage shows the sign-up form (GET /signup?next=...). next is where
// the new account goes afterwards, typically the authorization request of
// an app the newcomer is linking (from the login page's "Create an account"
// link); it is kept only when SafeNext accepts it.
func (s *Service) SignupPage(w http.ResponseWriter, r *http.Request) {
	next, _ := SafeNext(r.URL.Query().Get("next"))
	if sess, ok, _ := s.resume(r); ok {
		goOnSignedIn(w, r, sess, next)
		return
	}
	s.renderSignup(w, r, http.StatusOK, "", next, "")
}

// renderSignup shows the form again with what the person entered (never
// the passwords), the privacy-policy tick included.
func (s *Service) renderSignup(w http.ResponseWriter, r *http.Request, status int, email, next, problem string) {
	token, err := s.anonFormToken(w, r)
	if err != nil {
		s.serverError(w, r, "sign-up form token", err)
		return
	}
	s.render(w, r, status, "signup", pageData{
		Frame:    page.Frame{Title: "Create account", Next: next},
		FormCSRF: token, Email: email, Error: problem, PolicyVersion: s.policyVer,
		Consent: r.PostFormValue("consent") == "yes",
	})
}

// Signup creates an account from the form (POST /signup): validated email
// and password, the privacy-policy consent recorded with its version (C3),
// and a signed-in session, all in one transaction with its audit event;
// then on to next (the pending authorization), or the account page.
func (s *Service) Signup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.", "/signup")
		return
	}
	if !s.validAnonToken(r) {
		s.csrfRefused(w, r)
		return
	}
	next, _ := SafeNext(r.PostFormValue("next"))
	email := NormalizeEmail(r.PostFormValue("email"))
	password := NormalizePassword(r.PostFormValue("password"))
	confirm := NormalizePassword(r.PostFormValue("password_confirm"))
	var problem string
	switch {
	case !ValidEmail(email):
		problem = "Enter a valid email address."
	case password != confirm:
		problem = "The two passwords do not match."
	case r.PostFormValue("consent") != "yes":
		problem = "To create an account, accept the privacy policy."
	default:
		if err := CheckNewPassword(password, email); err != nil {
			problem = err.Error()
		}
	}
	if problem != "" {
		s.renderSignup(w, r, http.StatusBadRequest, email, next, problem)
		return
	}
	hash, err := s.hasher.hash(r.Context(), password)
	if err != nil {
		s.serverError(w, r, "hash password", err)
		return
	}
	ctx := r.Context()
	id := uuid.New()
	var cookie string
	err = s.db.InUserTx(ctx, id, func(tx postgres.Querier) error {
		now := s.now()
		if _, err := insertUser(ctx, tx, id, email, hash, now); err != nil {
			return err
		}
		if err := postgres.RecordPolicyConsent(ctx, tx, id, s.policyVer, now); err != nil {
			return err
		}
		var err error
		if cookie, err = s.createSession(ctx, tx, id, r.UserAgent()); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, authEvent(r, eventSignup, audit.OutcomeSuccess, id,
			map[string]any{"privacy_policy_version": s.policyVer}))
	})
	if errors.Is(err, ErrEmailTaken) {
		// Without email verification this cannot be hidden from the person
		// signing up; the per-IP rate limit bounds how fast anyone can probe.
		s.renderSignup(w, r, http.StatusBadRequest, email, next, "An account with this email already exists. Sign in instead.")
		return
	}
	if err != nil {
		s.serverError(w, r, "sign up", err)
		return
	}
	s.setSessionCookie(w, cookie)
	http.Redirect(w, r, nextOrAccount(next), http.StatusSeeOther)
}
