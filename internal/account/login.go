package account

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// loginFailedMessage is the one answer to a wrong email or a wrong
// password: which of the two was wrong is not revealed.
const loginFailedMessage = "Email or password is incorrect."

// LoginPage shows the login form (GET /login?next=...).
func (s *Service) LoginPage(w http.ResponseWriter, r *http.Request) {
	next, _ := SafeNext(r.URL.Query().Get("next"))
	if sess, ok, _ := s.resume(r); ok {
		goOnSignedIn(w, r, sess, next)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", next, "")
}

// goOnSignedIn sends a signed-in user on to next (or the account page),
// through the privacy-policy consent page when the current version is not
// accepted yet (C3), which then continues to next.
func goOnSignedIn(w http.ResponseWriter, r *http.Request, sess *session, next string) {
	if !sess.policyAccepted {
		http.Redirect(w, r, PolicyConsentURL(nextOrAccount(next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, nextOrAccount(next), http.StatusSeeOther)
}

func nextOrAccount(next string) string {
	if next == "" {
		return "/account"
	}
	return next
}

func (s *Service) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, next, problem string) {
	token, err := s.anonFormToken(w, r)
	if err != nil {
		s.serverError(w, r, "login form token", err)
		return
	}
	s.render(w, r, status, "login", pageData{Frame: page.Frame{Title: "Sign in", Next: next}, FormCSRF: token, Email: email, Error: problem})
}

// Login checks the form (POST /login). In order: CSRF token; the lockout of
// this client IP, then this attempt counted against the account
// (reserveAttempt, which refuses it during a lockout), both shared by all
// replicas; the password, against a dummy hash when the email is unknown so
// both cases take the same time; then a new session (a new id, whatever
// cookie came in) and the account's count cleared.
func (s *Service) Login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.", "/login")
		return
	}
	if !s.validAnonToken(r) {
		s.csrfRefused(w, r)
		return
	}
	ctx := r.Context()
	email := NormalizeEmail(r.PostFormValue("email"))
	password := NormalizePassword(r.PostFormValue("password"))
	next, _ := SafeNext(r.PostFormValue("next"))
	if len(email) > MaxEmailLength || len([]rune(password)) > MaxPasswordLength {
		s.renderLogin(w, r, http.StatusOK, "", next, loginFailedMessage)
		return
	}
	acct, ip := newSubject(scopeAccount, email), s.ipSubject(clientIP(r))

	var (
		userID uuid.UUID
		hash   string
		lock   lockout
		locked bool
	)
	err := s.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		var err error
		now := s.now()
		if lock, locked, err = checkLockout(ctx, tx, now, ip); err != nil || locked {
			return err
		}
		if lock, locked, err = reserveAttempt(ctx, tx, now, acct, s.acctPol); err != nil || locked {
			return err
		}
		userID, hash, err = postgres.LookupLogin(ctx, tx, email)
		if errors.Is(err, postgres.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		s.serverError(w, r, "login lookup", err)
		return
	}
	if locked {
		s.refuseLocked(w, r, userID, lock)
		return
	}

	ok, outdated, err := s.hasher.verify(ctx, password, hash)
	if err != nil {
		s.serverError(w, r, "verify password", err)
		return
	}
	if !ok {
		s.loginFailed(w, r, userID, email, next, ip) // the account counted the attempt already
		return
	}

	var newHash string
	if outdated {
		// Parameters changed since this hash was made: upgrade it now,
		// the only moment the plain password is at hand.
		if newHash, err = s.hasher.hash(ctx, password); err != nil {
			s.serverError(w, r, "rehash password", err)
			return
		}
	}
	previous, hadPrevious, err := s.resume(r)
	if err != nil {
		s.serverError(w, r, "resume session", err)
		return
	}
	var (
		cookie   string
		accepted bool
	)
	err = s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		if err := postgres.ClearLoginThrottle(ctx, tx, acct.row()); err != nil {
			return err
		}
		var err error
		if accepted, err = postgres.HasPolicyConsent(ctx, tx, userID, s.policyVer); err != nil {
			return err
		}
		if newHash != "" {
			if err := postgres.UpdateCredential(ctx, tx, userID, newHash, s.now()); err != nil {
				return err
			}
		}
		if hadPrevious && previous.user.ID == userID {
			// Logging in again replaces the old session rather than
			// leaving it alive next to the new one.
			if err := postgres.DeleteAccountSession(ctx, tx, previous.idHash); err != nil {
				return err
			}
		}
		if cookie, err = s.createSession(ctx, tx, userID, r.UserAgent()); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, authEvent(r, eventLogin, audit.OutcomeSuccess, userID,
			map[string]any{"rehashed": newHash != ""}))
	})
	if err != nil {
		s.serverError(w, r, "create session", err)
		return
	}
	if hadPrevious && previous.user.ID != userID {
		// Another account was signed in on this browser: end that session
		// too, under its own identity.
		_ = s.db.InUserTx(ctx, previous.user.ID, func(tx postgres.Querier) error { return postgres.DeleteAccountSession(ctx, tx, previous.idHash) })
	}
	s.setSessionCookie(w, cookie)
	if !accepted {
		// No consent to the current policy version yet (an operator-made
		// account, or a new version): ask before going on (C3).
		http.Redirect(w, r, PolicyConsentURL(nextOrAccount(next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, nextOrAccount(next), http.StatusSeeOther)
}

// loginFailed counts the failure against subjects (the client IP: the
// account counted the attempt before the password check), audits it and
// shows the generic error.
func (s *Service) loginFailed(w http.ResponseWriter, r *http.Request, userID uuid.UUID, email, next string, subjects ...throttleSubject) {
	ctx := r.Context()
	err := s.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		for i, sub := range subjects {
			pol := s.ipPol
			if sub.scope == scopeAccount {
				pol = s.acctPol
			}
			if err := recordFailure(ctx, tx, s.now(), subjects[i], pol); err != nil {
				return err
			}
		}
		return s.audit.Append(ctx, tx, authEvent(r, eventLogin, audit.OutcomeFailure, userID,
			map[string]any{"reason": "bad_credentials", "known_account": userID != uuid.Nil}))
	})
	if err != nil {
		s.serverError(w, r, "record failed login", err)
		return
	}
	s.metrics.LoginFailed()
	s.renderLogin(w, r, http.StatusOK, email, next, loginFailedMessage)
}

// refuseLocked answers a login attempt during a lockout: 429 with
// Retry-After, audited and counted; the password is not even checked.
func (s *Service) refuseLocked(w http.ResponseWriter, r *http.Request, userID uuid.UUID, lock lockout) {
	ctx := r.Context()
	err := s.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		return s.audit.Append(ctx, tx, authEvent(r, eventLogin, audit.OutcomeDenied, userID,
			map[string]any{"reason": "throttled", "scope": string(lock.scope)}))
	})
	if err != nil {
		s.serverError(w, r, "audit throttled login", err)
		return
	}
	s.metrics.Throttled("/login")
	s.log.WarnContext(ctx, "login throttled", "scope", string(lock.scope))
	wait := math.Ceil(lock.until.Sub(s.now()).Seconds())
	w.Header().Set("Retry-After", strconv.Itoa(int(max(1, wait))))
	s.tooManyAttempts(w, r)
}
