package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/doctor"
)

// TestDoctorPassesAgainstTheRealServer runs `taskbridge doctor` against the
// real, fully wired server, as a host would walk it: every discovery step
// passes, and with a token the widget steps check the real resource too.
// (The TLS step is skipped here: the test server is plain-http loopback.)
func TestDoctorPassesAgainstTheRealServer(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()

	var out bytes.Buffer
	rep, err := doctor.Run(ctx, doctor.Options{URL: srv.MCPURL(), Timeout: 10 * time.Second}, &out)
	if err != nil || rep.Failed() {
		t.Fatalf("doctor without a token: %v\n%s", err, out.String())
	}

	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: true})
	out.Reset()
	rep, err = doctor.Run(ctx, doctor.Options{URL: srv.MCPURL(), Token: app.AccessToken(t), Timeout: 10 * time.Second}, &out)
	if err != nil || rep.Failed() {
		t.Fatalf("doctor with a token: %v\n%s", err, out.String())
	}
	for _, id := range []string{"widget.tools", "widget.version", "widget.mime", "widget.csp"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("%s did not pass against the real server\n%s", id, out.String())
		}
	}
}

// TestDoctorAdvisesOnEachURLTypo types each common wrong URL for the real
// server and asserts the exact advice a user reads: the URL to type into
// the host (always ending in /mcp), no advice contradicting itself, and
// the URL in every line that names a request.
func TestDoctorAdvisesOnEachURLTypo(t *testing.T) {
	srv := startServer(t)
	base, mcp := srv.URL, srv.MCPURL()
	https := "https://" + strings.TrimPrefix(base, "http://")
	localhost := "http://localhost:" + base[strings.LastIndex(base, ":")+1:]
	type line struct {
		id          string
		status      doctor.Status
		detail, fix string
	}
	for _, tc := range []struct {
		name, typed string
		want        []line
		// onlyFailure: the typo is the only failure; every other check
		// (run against the URL the fix names) passes.
		onlyFailure bool
	}{
		{name: "base URL without /mcp", typed: base, onlyFailure: true, want: []line{{"url", doctor.Fail,
			base + " has no path: it is a base URL, not the MCP endpoint",
			"add /mcp: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "base URL with a trailing slash", typed: base + "/", onlyFailure: true, want: []line{{"url", doctor.Fail,
			base + "/ has no path: it is a base URL, not the MCP endpoint",
			"add /mcp: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "/mcp with a trailing slash", typed: mcp + "/", onlyFailure: true, want: []line{{"url", doctor.Fail,
			mcp + "/ ends with a slash",
			"type " + mcp + " into the host (no trailing slash): hosts compare it byte for byte with the server's resource; the checks below use " + mcp}}},
		{name: "a path below /mcp", typed: mcp + "/sse", onlyFailure: true, want: []line{{"url", doctor.Fail,
			mcp + "/sse is a path below the MCP endpoint",
			"taskbridge serves MCP (streamable HTTP) at exactly TASKBRIDGE_PUBLIC_URL + /mcp, with no /sse or other sub-path: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "/MCP in capitals", typed: base + "/MCP", onlyFailure: true, want: []line{{"url", doctor.Fail,
			base + "/MCP is written differently from the MCP URL (letter case or %-encoding of the path)",
			"hosts compare it byte for byte with the server's resource: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "/mcp percent-encoded", typed: base + "/m%63p", onlyFailure: true, want: []line{{"url", doctor.Fail,
			base + "/m%63p is written differently from the MCP URL (letter case or %-encoding of the path)",
			"hosts compare it byte for byte with the server's resource: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "a query", typed: mcp + "?x=1", onlyFailure: true, want: []line{{"url", doctor.Fail,
			mcp + "?x=1 has a query or fragment",
			"remove everything from ? or #: the URL is the OAuth resource identifier and must be exactly scheme://host/path: type " + mcp + " into the host; the checks below use " + mcp}}},
		{name: "https to a plain-http server", typed: https + "/mcp", want: []line{{"mcp.challenge", doctor.Fail,
			`no answer: Post "` + https + `/mcp": http: server gave HTTP response to HTTPS client`,
			strings.TrimPrefix(base, "http://") + " answers plain http, not https: type " + mcp + " into the host (plain http is fine on localhost)"}}},
		{name: "a path prefix the server does not have", typed: base + "/tasks/mcp", want: []line{
			{"mcp.challenge", doctor.Fail, "POST " + base + "/tasks/mcp answered 405: nothing serves MCP at this URL",
				"the MCP endpoint is TASKBRIDGE_PUBLIC_URL + /mcp; check the path, and any path prefix your reverse proxy adds or strips"},
			{"prm.path", doctor.Fail, "GET " + base + "/.well-known/oauth-protected-resource/tasks/mcp answered 404",
				"there is no metadata for this path either, as nothing serves MCP there (see mcp.challenge): the path is wrong"}}},
		{name: "a path prefix without /mcp", typed: base + "/tasks", want: []line{
			{"url", doctor.Fail, base + "/tasks does not end in /mcp",
				"the MCP URL is TASKBRIDGE_PUBLIC_URL + /mcp: if " + base + "/tasks is your TASKBRIDGE_PUBLIC_URL (a path prefix), type " + base + "/tasks/mcp into the host; the checks below use " + base + "/tasks/mcp"}}},
		{name: "localhost for a server whose public URL is 127.0.0.1", typed: localhost + "/mcp", want: []line{{"prm.path.resource", doctor.Fail,
			localhost + `/.well-known/oauth-protected-resource/mcp says resource "` + mcp + `" but the MCP URL checked is "` + localhost + `/mcp"; hosts compare them byte for byte and stop`,
			"TASKBRIDGE_PUBLIC_URL is " + base + " but the host reached " + localhost + ": set TASKBRIDGE_PUBLIC_URL=" + localhost + " and restart the server"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			rep, err := doctor.Run(context.Background(), doctor.Options{URL: tc.typed, Timeout: 10 * time.Second}, &out)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !hasCheck(rep, w.id, w.status, w.detail, w.fix) {
					t.Errorf("want %s %s\n  %s\n  fix: %s\ngot:\n%s", w.status, w.id, w.detail, w.fix, out.String())
				}
			}
			if !rep.Failed() {
				t.Errorf("a typo must fail the run:\n%s", out.String())
			}
			if tc.onlyFailure && (rep.Count(doctor.Fail) != 1 || rep.Count(doctor.Warn) != 0) {
				t.Errorf("want only the url check to fail, the rest checking %s and passing:\n%s", mcp, out.String())
			}
			wantCoherentAdvice(t, rep, out.String())
		})
	}
}

// TestDoctorBehindAPathPrefix: the real server with TASKBRIDGE_PUBLIC_URL
// https://h/tasks behind a reverse proxy that forwards /tasks/* with the
// prefix stripped. Hosts following the MCP spec find the protected
// resource through the challenge's URL, but the authorization server's
// RFC 8414 metadata only outside the prefix (taskbridge serves no OpenID
// discovery, which would sit inside it): without that one route the run
// fails naming it, with it the run passes. The path-form resource metadata
// outside the prefix stays a warning. Forgetting the prefix fails without
// sending the user to a check that cannot answer.
func TestDoctorBehindAPathPrefix(t *testing.T) {
	var app *url.URL
	var routeASMetadata atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside, ok := strings.CutPrefix(r.URL.Path, "/tasks")
		if routeASMetadata.Load() && r.URL.Path == "/.well-known/oauth-authorization-server/tasks" {
			inside, ok = "/.well-known/oauth-authorization-server", true
		}
		if !ok || !strings.HasPrefix(inside, "/") {
			http.NotFound(w, r)
			return
		}
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(app)
			pr.Out.URL.Path = inside
			pr.Out.Host = pr.In.Host
		}}).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	public := proxy.URL + "/tasks"
	srv := startServerWith(t, map[string]string{"TASKBRIDGE_PUBLIC_URL": public})
	app, _ = url.Parse(srv.URL)
	route := func(outside, inside string) string {
		return "taskbridge is served under /tasks, and hosts look for this document outside it: have the proxy route " + outside + " to taskbridge's " + inside
	}

	var out bytes.Buffer
	rep, err := doctor.Run(context.Background(), doctor.Options{URL: public + "/mcp", Timeout: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	asPath := "/.well-known/oauth-authorization-server/tasks"
	if !hasCheck(rep, "as.metadata", doctor.Fail, "GET "+proxy.URL+asPath+" answered 404", route(asPath, "/.well-known/oauth-authorization-server")) {
		t.Errorf("want FAIL as.metadata naming the route %s:\n%s", asPath, out.String())
	}

	routeASMetadata.Store(true)
	out.Reset()
	rep, err = doctor.Run(context.Background(), doctor.Options{URL: public + "/mcp", Timeout: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Errorf("a path-prefix deployment hosts can use must not fail:\n%s", out.String())
	}
	prmPath := "/.well-known/oauth-protected-resource/tasks/mcp"
	if !hasCheck(rep, "prm.path", doctor.Warn, "GET "+proxy.URL+prmPath+" answered 404", route(prmPath, "/.well-known/oauth-protected-resource/mcp")) {
		t.Errorf("want WARN prm.path naming the route %s:\n%s", prmPath, out.String())
	}
	for _, id := range []string{"mcp.challenge", "prm.challenge", "as.metadata", "as.registration"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("%s = %+v, want PASS through the prefix:\n%s", id, c, out.String())
		}
	}
	wantCoherentAdvice(t, rep, out.String())

	out.Reset()
	rep, err = doctor.Run(context.Background(), doctor.Options{URL: proxy.URL + "/mcp", Timeout: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		id          string
		status      doctor.Status
		detail, fix string
	}{
		{"mcp.challenge", doctor.Fail, "POST " + proxy.URL + "/mcp answered 404: nothing serves MCP at this URL",
			"the MCP endpoint is TASKBRIDGE_PUBLIC_URL + /mcp; check the path, and any path prefix your reverse proxy adds or strips"},
		{"prm.path", doctor.Fail, "GET " + proxy.URL + "/.well-known/oauth-protected-resource/mcp answered 404",
			"there is no metadata for this path either, as nothing serves MCP there (see mcp.challenge): the path is wrong"},
	} {
		if !hasCheck(rep, w.id, w.status, w.detail, w.fix) {
			t.Errorf("want %s %s\n  %s\n  fix: %s\ngot:\n%s", w.status, w.id, w.detail, w.fix, out.String())
		}
	}
	wantCoherentAdvice(t, rep, out.String())
}

func hasCheck(rep doctor.Report, id string, status doctor.Status, detail, fix string) bool {
	for _, c := range rep.Checks {
		if c.ID == id && c.Status == status && c.Detail == detail && c.Fix == fix {
			return true
		}
	}
	return false
}

var (
	typeIntoHost  = regexp.MustCompile(`type (\S+) into the host`)
	publicURLPair = regexp.MustCompile(`TASKBRIDGE_PUBLIC_URL is (\S+) but the host reached (\S+):`)
	namedRequest  = regexp.MustCompile(`\b(GET|POST) (\S*)`)
)

// wantCoherentAdvice: the URL to type into the host ends in /mcp, no fix
// says "X is A but ... reached A", and every request named shows its URL.
func wantCoherentAdvice(t *testing.T, rep doctor.Report, out string) {
	t.Helper()
	for _, c := range rep.Checks {
		for _, m := range typeIntoHost.FindAllStringSubmatch(c.Fix, -1) {
			if !strings.HasSuffix(m[1], "/mcp") {
				t.Errorf("%s tells to type %s into the host, which does not end in /mcp:\n%s", c.ID, m[1], out)
			}
		}
		if m := publicURLPair.FindStringSubmatch(c.Fix); m != nil && m[1] == m[2] {
			t.Errorf("%s contradicts itself: %q\n%s", c.ID, c.Fix, out)
		}
		for _, m := range namedRequest.FindAllStringSubmatch(c.Detail, -1) {
			if !strings.HasPrefix(m[2], "http://") && !strings.HasPrefix(m[2], "https://") {
				t.Errorf("%s names a %s request without its URL: %q", c.ID, m[1], c.Detail)
			}
		}
	}
}
