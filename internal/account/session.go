package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Session cookie names. Over https the __Host- prefix makes the browser
// refuse the cookie unless it is Secure, host-only (no Domain) and Path=/,
// so a sibling subdomain cannot plant or overwrite it.
const (
	sessionCookieHTTPS = "__Host-tb_session"
	sessionCookieDev   = "tb_session"
)

// sessionValueBytes is the entropy of a session cookie: 256 bits.
const sessionValueBytes = 32

// User is a signed-in account as other components see it.
type User struct {
	ID        uuid.UUID
	Email     string
	CreatedAt time.Time
}

// session is the state resumed from a valid cookie.
type session struct {
	user       User
	idHash     []byte
	csrfSecret []byte
	expiresAt  time.Time
	// policyAccepted: the user has accepted the current privacy-policy
	// version (C3). Without it the session may exercise the user's rights
	// (see, export, delete, disconnect) but not link apps or use tasks.
	policyAccepted bool
}

// Defaults of SessionOptions.
const (
	DefaultSessionTTL         = 12 * time.Hour
	DefaultSessionIdleTimeout = 30 * time.Minute
	// DefaultPrivacyPolicyVersion is the version of PRIVACY.md (the number
	// at its top; a privacy test compares them) that a user consents to,
	// recorded with the consent (C3). Raising it asks everyone again.
	DefaultPrivacyPolicyVersion = "1"
)

// SessionOptions configures Sessions. DB is required.
type SessionOptions struct {
	DB  *postgres.DB
	Log *slog.Logger
	// HTTPS makes the session cookie (and the Service's form cookie)
	// Secure and __Host- prefixed. Only a plain-http development URL turns
	// it off.
	HTTPS bool

	TTL         time.Duration // absolute lifetime; default 12h
	IdleTimeout time.Duration // ends a session unused this long; default 30m

	// PrivacyPolicyVersion is the version a user must have accepted to
	// count as consented (C3); sign-up and the consent page record it.
	PrivacyPolicyVersion string
	// Now is the clock of the sessions and of the Service built on them;
	// tests move it instead of sleeping. Default time.Now.
	Now func() time.Time
}

// Sessions is who is signed in: the session cookie, the stored session
// behind it, and whether its user has accepted the current privacy policy.
// It is built before the Service and the OAuth server, which both ask it,
// so neither of those needs the other.
type Sessions struct {
	db        *postgres.DB
	log       *slog.Logger
	https     bool
	ttl, idle time.Duration
	policyVer string
	now       func() time.Time
}

// NewSessions builds the Sessions.
func NewSessions(o SessionOptions) (*Sessions, error) {
	if o.DB == nil {
		return nil, errors.New("account: SessionOptions.DB is required")
	}
	s := &Sessions{
		db:        o.DB,
		log:       o.Log,
		https:     o.HTTPS,
		ttl:       durationOr(o.TTL, DefaultSessionTTL),
		idle:      durationOr(o.IdleTimeout, DefaultSessionIdleTimeout),
		policyVer: o.PrivacyPolicyVersion,
		now:       o.Now,
	}
	if s.idle > s.ttl {
		return nil, fmt.Errorf("account: idle timeout %s is longer than the session lifetime %s", s.idle, s.ttl)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.policyVer == "" {
		s.policyVer = DefaultPrivacyPolicyVersion
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func (s *Sessions) sessionCookieName() string {
	if s.https {
		return sessionCookieHTTPS
	}
	return sessionCookieDev
}

// newSessionValue returns a fresh random cookie value and the hash stored
// in its place.
func newSessionValue() (raw string, hash []byte, err error) {
	b := make([]byte, sessionValueBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate session id: %w", err)
	}
	raw = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256(b)
	return raw, sum[:], nil
}

// hashSessionValue returns the stored form of a cookie value, or false when
// the value cannot be one of ours (saving a database round trip).
func hashSessionValue(raw string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != sessionValueBytes {
		return nil, false
	}
	sum := sha256.Sum256(b)
	return sum[:], true
}

func (s *Sessions) setSessionCookie(w http.ResponseWriter, raw string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.sessionCookieName(),
		Value:    raw,
		Path:     "/",
		MaxAge:   int(s.ttl.Seconds()),
		Secure:   s.https,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Sessions) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: s.https, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// createSession inserts a new session for userID in tx (whose identity is
// userID) and returns the cookie value. Every login gets a new value, so a
// value planted before login is worthless after it (session fixation).
func (s *Sessions) createSession(ctx context.Context, tx postgres.Querier, userID uuid.UUID, userAgent string) (string, error) {
	raw, hash, err := newSessionValue()
	if err != nil {
		return "", err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("generate csrf secret: %w", err)
	}
	now := s.now()
	err = postgres.InsertAccountSession(ctx, tx, postgres.AccountSession{
		IDHash: hash, UserID: userID, CSRFSecret: secret,
		CreatedAt: now, ExpiresAt: now.Add(s.ttl), UserAgent: summarizeUserAgent(userAgent),
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

type sessionKey struct{}

// resume returns the session of r's cookie when it is valid, consulting the
// database once per request.
func (s *Sessions) resume(r *http.Request) (*session, bool, error) {
	if cached, ok := r.Context().Value(sessionKey{}).(*session); ok {
		return cached, cached != nil, nil
	}
	c, err := r.Cookie(s.sessionCookieName())
	if err != nil {
		return nil, false, nil
	}
	hash, ok := hashSessionValue(c.Value)
	if !ok {
		return nil, false, nil
	}
	ctx := r.Context()
	var sess *session
	err = s.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		stored, err := postgres.ResumeAccountSession(ctx, tx, hash, s.now(), s.idle)
		if errors.Is(err, postgres.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		u, accepted, err := postgres.SessionUser(ctx, tx, stored.UserID, s.policyVer)
		if err != nil {
			return err
		}
		sess = &session{user: User(u), idHash: hash, csrfSecret: stored.CSRFSecret, expiresAt: stored.ExpiresAt, policyAccepted: accepted}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return sess, sess != nil, nil
}

// CurrentUser returns the user signed in on r, if any. A database failure
// counts as not signed in (and is logged): callers fail closed.
func (s *Sessions) CurrentUser(r *http.Request) (User, bool) {
	sess, ok, err := s.resume(r)
	if err != nil {
		s.log.ErrorContext(r.Context(), "resume session", "err", err)
		return User{}, false
	}
	if !ok {
		return User{}, false
	}
	return sess.user, true
}

// ConsentedUser returns the user signed in on r only when they have
// accepted the current privacy policy: the identity that may link apps
// (the OAuth server's Authenticator). A signed-in user without consent is
// sent through LoginURL, whose page forwards them to the consent page.
func (s *Sessions) ConsentedUser(r *http.Request) (User, bool) {
	sess, ok, err := s.resume(r)
	if err != nil {
		s.log.ErrorContext(r.Context(), "resume session", "err", err)
		return User{}, false
	}
	if !ok || !sess.policyAccepted {
		return User{}, false
	}
	return sess.user, true
}

// RequireLogin lets signed-in requests through, with the session cached in
// the context, and sends everyone else to the login page, which returns to
// the requested path afterwards.
func (s *Service) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.resume(r)
		if err != nil {
			s.serverError(w, r, "resume session", err)
			return
		}
		if !ok {
			target := "/login"
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				target = LoginURL(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}
