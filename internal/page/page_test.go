package page_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/page"
)

var testPages = fstest.MapFS{
	"templates/greeting.html": {Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1><p id="who">{{.Name}}</p>{{end}}`)},
	"templates/broken.html":   {Data: []byte(`{{define "content"}}<p>half a page</p>{{.Fail}}{{end}}`)},
}

type greeting struct {
	page.Frame
	Name string
}

type broken struct{ page.Frame }

func (broken) Fail() (string, error) { return "", errors.New("the template failed half-way") }

func parse(t *testing.T) *page.Pages {
	t.Helper()
	p, err := page.Parse(testPages, nil, "greeting", "broken")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest(http.MethodGet, "/", nil))
	return w
}

func TestPagesCarryThePageCSPTheLayoutAndEscapedData(t *testing.T) {
	p := parse(t)
	w := get(t, func(w http.ResponseWriter, r *http.Request) {
		p.Render(w, r, http.StatusTeapot, "greeting", &greeting{Frame: page.Frame{Title: "Hello"}, Name: "<b>x</b>"})
	})
	body := w.Body.String()
	if w.Code != http.StatusTeapot || w.Header().Get("Content-Security-Policy") != httpx.PageCSP || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	for _, want := range []string{"<title>Hello · taskbridge</title>", `href="/static/app.css?v=`, `<main id="main">`,
		`<p id="who">&lt;b&gt;x&lt;/b&gt;</p>`, `<a class="skip" href="#main">`, `href="/login"`, `<footer class="site">`, `href="/privacy"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}

func TestSignedInHeaderHasTheSignOutFormWithItsToken(t *testing.T) {
	p := parse(t)
	w := get(t, func(w http.ResponseWriter, r *http.Request) {
		p.Render(w, r, http.StatusOK, "greeting", &greeting{Frame: page.Frame{Title: "Hi", SignedIn: true, SessionCSRF: "tok"}})
	})
	if body := w.Body.String(); !strings.Contains(body, `action="/logout"`) || !strings.Contains(body, `name="csrf_token" value="tok"`) ||
		strings.Contains(body, `href="/login"`) {
		t.Fatalf("signed-in header wrong:\n%s", body)
	}
}

func TestBrandPagesHaveNoNavigationAndFooterOnlyWhenAsked(t *testing.T) {
	p := parse(t)
	w := get(t, func(w http.ResponseWriter, r *http.Request) {
		p.Render(w, r, http.StatusOK, "greeting", &greeting{Frame: page.Frame{Title: "Hi", Nav: page.NavBrand}})
	})
	if body := w.Body.String(); strings.Contains(body, "<nav") || strings.Contains(body, "<footer") || strings.Contains(body, `class="skip"`) {
		t.Fatalf("brand page has navigation or footer:\n%s", body)
	}
}

func TestATemplateErrorIsACleanServerErrorNeverHalfAPage(t *testing.T) {
	p := parse(t)
	w := get(t, func(w http.ResponseWriter, r *http.Request) {
		p.Render(w, r, http.StatusOK, "broken", &broken{Frame: page.Frame{Title: "Broken"}})
	})
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "half a page") ||
		w.Header().Get("Content-Security-Policy") != httpx.PageCSP {
		t.Fatalf("status %d, body %q", w.Code, w.Body.String())
	}
}

func TestErrorPageShowsTheReferenceAndTheWayOn(t *testing.T) {
	p := parse(t)
	h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		back := r.URL.Query().Get("back")
		p.Error(w, r, http.StatusForbidden, page.Frame{Title: "Form expired"}, "This form has expired.", back)
	}))
	for _, c := range []struct{ back, want string }{
		{"/account", `<a href="/account">Go back</a>`},
		{"", "You can close this page. If you report the problem, quote this reference: <code>"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?back="+c.back, nil))
		body := w.Body.String()
		id := w.Header().Get(httpx.RequestIDHeader)
		if w.Code != http.StatusForbidden || !strings.Contains(body, c.want) || id == "" || !strings.Contains(body, "<code>"+id+"</code>") ||
			!strings.Contains(body, `<p class="error" role="alert">This form has expired.</p>`) {
			t.Errorf("back %q: status %d, request id %q, body:\n%s", c.back, w.Code, id, body)
		}
	}
}
