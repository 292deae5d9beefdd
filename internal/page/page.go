package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/logging"
)

//go:embed templates/*.html
var templateFS embed.FS

// Nav is the site header a page shows.
type Nav string

const (
	// NavAccount (the zero value) is the account navigation after a skip
	// link: Account, Your data and Sign out for a signed-in person, Sign in
	// and Create account otherwise; the footer links the privacy policy.
	NavAccount Nav = ""
	// NavAccountLink is the brand and one link back to the account: the
	// task page a host's citation opens.
	NavAccountLink Nav = "account-link"
	// NavBrand is the brand alone: the OAuth pages, which a person reaches
	// from an app in the middle of connecting it.
	NavBrand Nav = "brand"
)

// PrivacyPath is the privacy policy page the account pages' footer links.
const PrivacyPath = "/privacy"

// Frame is what the layout reads. The data of every page embeds it.
type Frame struct {
	// Title names the page; the document title is "<Title> · taskbridge"
	// unless the page's template defines its own "title".
	Title string
	Nav   Nav
	// SignedIn, SessionCSRF (the sign-out form's token) and Next (where
	// Sign in and Create account return to) fill NavAccount's header.
	SignedIn    bool
	SessionCSRF string
	Next        string
	// PrivacyURL is the footer's privacy policy link; empty means no
	// footer, except that NavAccount pages always link PrivacyPath.
	PrivacyURL string
	// StylesheetURL is set by Render.
	StylesheetURL string
}

func (f *Frame) frame() *Frame { return f }

// Data is a page's data: a pointer to a struct that embeds Frame.
type Data interface{ frame() *Frame }

// messagePage is the page of Error and Notice, parsed into every set.
const messagePage = "message"

// Message is the data of the message page.
type Message struct {
	Frame
	Error     string
	Notice    string
	RequestID string
	// Back is the "Go back" link. A page without one (the OAuth errors:
	// the person came from an app) says it can be closed instead.
	Back string
}

// Pages is a feature's pages, each parsed once with the layout.
type Pages struct {
	byName map[string]*template.Template
	log    *slog.Logger
}

// Parse parses templates/<name>.html of fsys for each name, each with the
// layout, plus the message page.
func Parse(fsys fs.FS, log *slog.Logger, names ...string) (*Pages, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pages{byName: map[string]*template.Template{}, log: log}
	layout, err := template.New("layout").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse page layout: %w", err)
	}
	add := func(name string, fsys fs.FS) error {
		t, err := template.Must(layout.Clone()).ParseFS(fsys, "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("parse %s page: %w", name, err)
		}
		p.byName[name] = t
		return nil
	}
	if err := add(messagePage, templateFS); err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := add(name, fsys); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Render writes page name with status under the page CSP, uncached
// (httpx.HTMLPage). It renders into a buffer first, so a template error
// becomes a clean 500 rather than half a page.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, d Data) {
	p.render(w, r, status, name, d, httpx.HTMLPage)
}

// RenderFormTo is Render for a page whose form ends in a redirect to
// formOrigin (httpx.HTMLPageFormTo): the OAuth consent page.
func (p *Pages) RenderFormTo(w http.ResponseWriter, r *http.Request, formOrigin string, status int, name string, d Data) {
	p.render(w, r, status, name, d, func(w http.ResponseWriter) { httpx.HTMLPageFormTo(w, formOrigin) })
}

// Error renders the message page for an error: what went wrong, the
// request's correlation id as the reference a report can quote, and back
// (see Message.Back).
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, f Frame, message, back string) {
	p.Render(w, r, status, messagePage, &Message{Frame: f, Error: message, Back: back,
		RequestID: logging.RequestID(r.Context())})
}

// Notice renders the message page for news that is no error.
func (p *Pages) Notice(w http.ResponseWriter, r *http.Request, status int, f Frame, notice string) {
	p.Render(w, r, status, messagePage, &Message{Frame: f, Notice: notice})
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, d Data, headers func(http.ResponseWriter)) {
	f := d.frame()
	f.StylesheetURL = stylesheetURL
	if f.Nav == NavAccount && f.PrivacyURL == "" {
		f.PrivacyURL = PrivacyPath
	}
	var buf bytes.Buffer
	t, ok := p.byName[name]
	err := fmt.Errorf("no page %q was parsed", name)
	if ok {
		err = t.ExecuteTemplate(&buf, "layout", d)
	}
	if err != nil {
		p.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		httpx.HTMLPage(w)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<!doctype html><title>Error</title><p>Something went wrong.</p>"))
		return
	}
	headers(w)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
