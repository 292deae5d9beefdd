package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CSRFField is the hidden form field that carries the CSRF token.
const CSRFField = "csrf_token"

// Cookie of the nonce that anonymous forms (login, sign-up) are bound to;
// the same __Host- rule as the session cookie.
const (
	formCookieHTTPS = "__Host-tb_form"
	formCookieDev   = "tb_form"
)

const (
	formNonceBytes = 32
	// anonTokenTTL bounds how long a rendered login or sign-up form stays
	// usable.
	anonTokenTTL = 2 * time.Hour
	sessionMAC   = "taskbridge session form v1"
	anonAAD      = "taskbridge anonymous form v1"
)

// Two layers protect every state-changing form (A7):
//
//  1. http.CrossOriginProtection refuses non-safe requests that a browser
//     marks as cross-site (Sec-Fetch-Site) or whose Origin is not this host.
//  2. A token in a hidden field, checked server-side, for browsers that send
//     neither header. Signed-in forms carry HMAC(session's csrf secret);
//     anonymous forms carry a keyring-sealed copy of a random nonce that is
//     also in an HttpOnly cookie, so a cross-site page can neither read nor
//     forge a matching pair.

// sessionCSRFToken is the token of every form of a signed-in session.
func sessionCSRFToken(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(sessionMAC))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validSessionToken reports whether r's form carries sess's token.
func validSessionToken(r *http.Request, sess *session) bool {
	got := r.PostFormValue(CSRFField)
	want := sessionCSRFToken(sess.csrfSecret)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// CSRFToken returns the token a form of the signed-in user must carry, for
// components that render their own forms on account pages. It is empty when
// nobody is signed in.
func (s *Service) CSRFToken(r *http.Request) string {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		return ""
	}
	return sessionCSRFToken(sess.csrfSecret)
}

// ValidCSRF reports whether r (a POST of a signed-in user) carries that
// user's CSRF token.
func (s *Service) ValidCSRF(r *http.Request) bool {
	sess, ok, err := s.resume(r)
	return err == nil && ok && validSessionToken(r, sess)
}

func (s *Service) formCookieName() string {
	if s.https {
		return formCookieHTTPS
	}
	return formCookieDev
}

// anonFormToken returns the token of an anonymous form, setting the nonce
// cookie it is bound to when the browser has none yet.
func (s *Service) anonFormToken(w http.ResponseWriter, r *http.Request) (string, error) {
	nonce, ok := s.formNonce(r)
	if !ok {
		nonce = make([]byte, formNonceBytes)
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("generate form nonce: %w", err)
		}
		http.SetCookie(w, &http.Cookie{
			Name: s.formCookieName(), Value: base64.RawURLEncoding.EncodeToString(nonce), Path: "/",
			Secure: s.https, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	plain := make([]byte, 0, formNonceBytes+8)
	plain = append(plain, nonce...)
	plain = binary.BigEndian.AppendUint64(plain, uint64(s.now().Add(anonTokenTTL).Unix()))
	sealed, kid, err := s.keys.Seal(plain, []byte(anonAAD))
	if err != nil {
		return "", fmt.Errorf("seal form token: %w", err)
	}
	return kid + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (s *Service) formNonce(r *http.Request) ([]byte, bool) {
	c, err := r.Cookie(s.formCookieName())
	if err != nil {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	return b, err == nil && len(b) == formNonceBytes
}

// validAnonToken reports whether r's form token opens under the keyring,
// has not expired, and names the nonce in r's cookie.
func (s *Service) validAnonToken(r *http.Request) bool {
	nonce, ok := s.formNonce(r)
	if !ok {
		return false
	}
	kid, enc, ok := strings.Cut(r.PostFormValue(CSRFField), ".")
	if !ok {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	plain, err := s.keys.Open(sealed, kid, []byte(anonAAD))
	if err != nil || len(plain) != formNonceBytes+8 {
		return false
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(plain[formNonceBytes:])), 0)
	return s.now().Before(expires) && subtle.ConstantTimeCompare(plain[:formNonceBytes], nonce) == 1
}

// ProtectForms is the Fetch-metadata / Origin layer (Go's
// http.CrossOriginProtection) for every state-changing account route; a
// refused request gets the 403 page.
func (s *Service) ProtectForms(next http.Handler) http.Handler {
	return s.cop.Handler(next)
}

func (s *Service) newCrossOriginProtection(trusted []string) (*http.CrossOriginProtection, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(s.csrfRefused))
	return cop, nil
}
