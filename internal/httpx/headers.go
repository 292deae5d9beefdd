package httpx

import (
	"net/http"
	"net/url"
	"strings"
)

// DefaultCSP is sent with every response that does not set its own: nothing
// may load, nothing may frame it, no form may post anywhere. HTML pages
// replace it with their own, equally strict, policy (W2).
const DefaultCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// PageCSP is the policy of the server-rendered HTML pages (login, consent,
// account, privacy): same-origin styles and forms only, no script at all.
const PageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecurityHeaders sets the headers every response carries. hsts turns on
// Strict-Transport-Security, which only means something over https (D6).
func SecurityHeaders(hsts bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", DefaultCSP)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
			if hsts {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// HTMLPage marks a response as a server-rendered page with PageCSP and no
// caching (pages carry CSRF tokens and personal data).
func HTMLPage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
}

// HTMLPageFormTo is HTMLPage for a page whose form submission ends in a
// redirect to another origin, as the OAuth consent form does (its 303 goes
// to the client's redirect URI). Chromium and WebKit check form-action
// against every redirect of a submission, so with 'self' alone the browser
// stops at the 303 and the client never gets its code. origin is added
// only when it is a bare http(s) origin (scheme://host[:port], nothing
// else), so no value can smuggle another directive into the policy.
func HTMLPageFormTo(w http.ResponseWriter, origin string) {
	HTMLPage(w)
	if !isBareOrigin(origin) {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(PageCSP, "form-action 'self'", "form-action 'self' "+origin, 1))
}

func isBareOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		u.Scheme+"://"+u.Host != origin {
		return false
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}
