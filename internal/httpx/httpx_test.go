package httpx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/logging"
)

func TestSecurityHeaders(t *testing.T) {
	for _, https := range []bool{false, true} {
		h := httpx.SecurityHeaders(https)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		got := rec.Header()
		if csp := got.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if got.Get("X-Content-Type-Options") != "nosniff" || got.Get("X-Frame-Options") != "DENY" || got.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("missing hardening headers: %v", got)
		}
		if hsts := got.Get("Strict-Transport-Security"); (hsts != "") != https {
			t.Errorf("https=%v but HSTS=%q", https, hsts)
		}
	}
	rec := httptest.NewRecorder()
	httpx.SecurityHeaders(false)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.HTMLPage(w) })).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("HTML page CSP %q must allow no script and no framing", csp)
	}
}

func TestRequestID(t *testing.T) {
	var logged bytes.Buffer
	log := logging.New(&logged, logging.Options{})
	var seen string
	h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = logging.RequestID(r.Context())
		log.InfoContext(r.Context(), "inside")
	}))

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(httpx.RequestIDHeader, "client-supplied-id-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if seen != "client-supplied-id-123" || rec.Header().Get(httpx.RequestIDHeader) != seen {
		t.Fatalf("sane incoming id not kept: ctx %q, response %q", seen, rec.Header().Get(httpx.RequestIDHeader))
	}
	var line map[string]any
	if err := json.Unmarshal(logged.Bytes(), &line); err != nil || line["request_id"] != seen {
		t.Fatalf("log line lacks the request id: %s (%v)", logged.String(), err)
	}

	for _, bad := range []string{"", "short", "has space in it", "inject\nfake log line", strings.Repeat("a", 65), "<script>alert(1)</script>"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(httpx.RequestIDHeader, bad)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(httpx.RequestIDHeader)
		if got == bad || len(got) != 32 {
			t.Errorf("bad incoming id %q was kept or not replaced (got %q)", bad, got)
		}
	}
}

func TestMaxBody(t *testing.T) {
	h := httpx.MaxBody(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); httpx.IsTooLarge(err) {
			httpx.WriteError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "too large")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	cases := []struct {
		name   string
		body   string
		chunk  bool
		status int
	}{
		{"small", "ok", false, http.StatusNoContent},
		{"declared too large", strings.Repeat("x", 17), false, http.StatusRequestEntityTooLarge},
		{"undeclared too large", strings.Repeat("x", 100), true, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		if c.chunk {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
	}
}

func TestRecoverReturnsGenericError(t *testing.T) {
	var logged bytes.Buffer
	log := logging.New(&logged, logging.Options{})
	h := httpx.RequestID(httpx.Recover(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("database password is hunter2 at db.internal:5432")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "hunter2") || strings.Contains(body, "db.internal") || strings.Contains(body, "goroutine") {
		t.Fatalf("internal details leaked to the client: %s", body)
	}
	var eb httpx.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error != "internal_error" || eb.RequestID == "" {
		t.Fatalf("error body %s (%v)", body, err)
	}
	if !strings.Contains(logged.String(), "panic serving request") {
		t.Fatalf("panic not logged: %s", logged.String())
	}
}

func TestAccessLogOmitsQueryAndBody(t *testing.T) {
	var logged bytes.Buffer
	log := logging.New(&logged, logging.Options{Level: slog.LevelInfo})
	h := httpx.AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodPost, "/token?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", strings.NewReader("password=hunter2"))
	h.ServeHTTP(httptest.NewRecorder(), req)
	out := logged.String()
	for _, leak := range []string{"SplxlOBeZQQYbYS6WxSbIA", "xyz", "hunter2"} {
		if strings.Contains(out, leak) {
			t.Errorf("access log contains %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"status":418`) || !strings.Contains(out, `"path":"/token"`) {
		t.Errorf("access log lacks status or path: %s", out)
	}
}

func TestHTMLPageFormToAddsOnlyABareOrigin(t *testing.T) {
	formAction := func(origin string) string {
		rec := httptest.NewRecorder()
		httpx.HTMLPageFormTo(rec, origin)
		for _, d := range strings.Split(rec.Header().Get("Content-Security-Policy"), ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "form-action") {
				return d
			}
		}
		return ""
	}
	for origin, want := range map[string]string{
		"https://chatgpt.com":             "form-action 'self' https://chatgpt.com",
		"http://127.0.0.1:33418":          "form-action 'self' http://127.0.0.1:33418",
		"http://[::1]:8080":               "form-action 'self' http://[::1]:8080",
		"":                                "form-action 'self'",
		"https://a.example; script-src *": "form-action 'self'",
		"https://a.example/callback":      "form-action 'self'",
		"https://user@a.example":          "form-action 'self'",
		"javascript://a.example":          "form-action 'self'",
		"https://a.example 'unsafe-eval'": "form-action 'self'",
		"https://*.example":               "form-action 'self'",
	} {
		if got := formAction(origin); got != want {
			t.Errorf("HTMLPageFormTo(%q): %q, want %q", origin, got, want)
		}
	}
}
