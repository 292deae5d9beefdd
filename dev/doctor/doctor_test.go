package doctor_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/doctor"
	"github.com/taskbridge/taskbridge/internal/identity"
)

// runDoctor checks typed ("" = the fake's /mcp) the way the CLI does, with
// the fake's certificate trusted.
func runDoctor(t *testing.T, f *fake, typed, token string) (doctor.Report, string) {
	t.Helper()
	if typed == "" {
		typed = f.URL + "/mcp"
	}
	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{
		URL:       typed,
		Token:     token,
		Timeout:   5 * time.Second,
		Transport: f.Client().Transport,
	}, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, out.String()
}

// wantCheck asserts a check with id and status whose fix contains fix, and
// that it is printed as an aligned line followed by the fix.
func wantCheck(t *testing.T, rep doctor.Report, out, id string, status doctor.Status, fix string) {
	t.Helper()
	var found bool
	for _, c := range rep.Checks {
		if c.ID == id && c.Status == status && strings.Contains(c.Fix, fix) {
			found = true
		}
	}
	if !found {
		t.Errorf("no %s %s check with fix containing %q; report:\n%s", status, id, fix, out)
	}
	if line := fmt.Sprintf("%s  %-18s  ", status, id); !strings.Contains(out, "\n"+line) {
		t.Errorf("output has no line starting %q:\n%s", line, out)
	}
	if fix != "" && !strings.Contains(out, "fix: ") {
		t.Errorf("output shows no fix:\n%s", out)
	}
}

func wantNoFailures(t *testing.T, rep doctor.Report, out string) {
	t.Helper()
	if rep.Failed() || rep.Count(doctor.Warn) > 0 {
		t.Fatalf("want every check to pass, got:\n%s", out)
	}
}

func TestDoctorHappyPath(t *testing.T) {
	f := newFake(t, deployment{})
	rep, out := runDoctor(t, f, "", testToken)
	wantNoFailures(t, rep, out)
	for _, id := range []string{"url", "mcp.challenge", "mcp.discover", "prm.challenge", "as.metadata", "as.cimd",
		"as.registration", "plugin.challenge", "tools.annotations", "tools.profile", "widget.tools", "widget.domain", "widget.version", "widget.mime", "widget.csp", "tls", "tls.hsts"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("check %s: %+v (found %v), want PASS\n%s", id, c, ok, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("output has terminal escapes although Color is off")
	}
	if !strings.Contains(out, "0 failed") {
		t.Errorf("no summary line:\n%s", out)
	}
}

// TestDoctorRegistrationProbeCreatesNoClient: the probe is a registration
// every RFC 7591 server must refuse.
func TestDoctorRegistrationProbeCreatesNoClient(t *testing.T) {
	f := newFake(t, deployment{})
	runDoctor(t, f, "", "")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.registrations) != 1 {
		t.Fatalf("registrations = %d, want exactly one probe", len(f.registrations))
	}
	if uris, ok := f.registrations[0]["redirect_uris"].([]any); !ok || len(uris) != 0 {
		t.Errorf("probe redirect_uris = %v, want an empty list", f.registrations[0]["redirect_uris"])
	}
}

func TestDoctorHappyPathPlainHTTPOnLocalhost(t *testing.T) {
	f := newFake(t, deployment{plainHTTP: true})
	rep, out := runDoctor(t, f, "", testToken)
	if rep.Failed() {
		t.Fatalf("localhost over http must pass:\n%s", out)
	}
	if c, _ := rep.Find("tls"); c.Status != doctor.Skip {
		t.Errorf("tls = %+v, want SKIP over plain http", c)
	}
}

func TestDoctorWidgetSkippedWithoutToken(t *testing.T) {
	f := newFake(t, deployment{})
	rep, out := runDoctor(t, f, "", "")
	c, _ := rep.Find("widget")
	if c.Status != doctor.Skip || !strings.Contains(c.Detail, "pass --token") || !strings.Contains(c.Detail, "Refresh") {
		t.Errorf("widget = %+v, want SKIP telling to pass --token and how to refresh\n%s", c, out)
	}
	if rep.Failed() {
		t.Errorf("a skipped widget check must not fail the run:\n%s", out)
	}
}

// TestDoctorReportsFailures runs one misconfigured deployment per failure
// mode the doctor reports and checks the FAIL line and its fix.
func TestDoctorReportsFailures(t *testing.T) {
	notFound := func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	// The client trusts both certificates; each fails one other check.
	expired := selfSignedCert(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), loopback, nil)
	otherName := selfSignedCert(t, now.Add(-time.Hour), now.Add(24*time.Hour), nil, []string{"tasks.other.example"})
	huge := `{"resource":"` + strings.Repeat("x", 5<<20) + `"}`
	for _, tc := range []struct {
		name   string
		d      deployment
		typed  func(f *fake) string
		token  string
		id     string
		status doctor.Status
		fix    func(f *fake) string
		detail string // the check's detail contains it, when set
	}{
		{name: "typed URL has a trailing slash", typed: func(f *fake) string { return f.URL + "/mcp/" },
			id: "url", status: doctor.Fail, fix: func(f *fake) string { return "type " + f.URL + "/mcp into the host" }},
		{name: "server advertises a trailing slash",
			d:  deployment{prmEdit: func(doc map[string]any) { doc["resource"] = doc["resource"].(string) + "/" }},
			id: "prm.challenge.resource", status: doctor.Fail, fix: fixed("TASKBRIDGE_PUBLIC_URL must not end with /")},
		{name: "typed URL has a query", typed: func(f *fake) string { return f.URL + "/mcp?x=1" },
			id: "url", status: doctor.Fail, fix: fixed("remove everything from ? or #")},
		{name: "path does not end in /mcp", typed: func(f *fake) string { return f.URL + "/api" },
			id: "url", status: doctor.Fail, fix: func(f *fake) string { return "type " + f.URL + "/api/mcp into the host" }},
		{name: "wrong path", typed: func(f *fake) string { return f.URL + "/api/mcp" },
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("the MCP endpoint is TASKBRIDGE_PUBLIC_URL + /mcp")},
		{name: "endpoint not protected", d: deployment{mcpStatus: http.StatusOK},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("every MCP request must need a token")},
		{name: "proxy cannot reach the app", d: deployment{mcpStatus: http.StatusBadGateway},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("/readyz")},
		{name: "MCP endpoint forbidden without a token", d: deployment{mcpStatus: http.StatusForbidden},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("a WAF, an IP allowlist, or the Host check against DNS rebinding"), detail: "answered 403"},
		{name: "MCP endpoint answers 500", d: deployment{mcpStatus: http.StatusInternalServerError},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("must answer 401 with WWW-Authenticate to an unauthenticated request"), detail: "answered 500"},
		{name: "certificate for another name", d: deployment{cert: otherName},
			id: "mcp.challenge", status: doctor.Fail, fix: func(f *fake) string {
				return "the certificate is not valid for " + f.Listener.Addr().(*net.TCPAddr).IP.String() + ": issue it for exactly this name"
			}},
		{name: "certificate expired", d: deployment{cert: expired},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("the certificate is expired or not yet valid: renew it")},
		{name: "no TLS connection completed", d: deployment{cert: expired},
			id: "tls", status: doctor.Fail, fix: fixed("see mcp.challenge above")},
		{name: "proxy strips WWW-Authenticate", d: deployment{challenge: func(string) (string, bool) { return "", false }},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("it strips the header: configure it to pass WWW-Authenticate through")},
		{name: "challenge without resource_metadata", d: deployment{challenge: func(string) (string, bool) { return `Bearer realm="x"`, true }},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed(`add resource_metadata="<PRM URL>"`)},
		{name: "WWW-Authenticate cannot be parsed", d: deployment{challenge: func(string) (string, bool) { return `"Bearer" resource_metadata`, true }},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("send an RFC 7235 challenge"), detail: "cannot be parsed"},
		{name: "proxy asks for Basic auth", d: deployment{challenge: func(string) (string, bool) { return `Basic realm="proxy"`, true }},
			id: "mcp.challenge", status: doctor.Fail, fix: fixed("Basic auth in front of /mcp")},
		{name: "public URL is http behind an https tunnel",
			d:  deployment{publicURL: "PLAIN"}, // replaced below with http://<same host>
			id: "prm.path.resource", status: doctor.Fail, fix: func(f *fake) string {
				https := f.URL
				http := "http://" + strings.TrimPrefix(https, "https://")
				return "TASKBRIDGE_PUBLIC_URL is " + http + " but the host reached " + https + ": set TASKBRIDGE_PUBLIC_URL=" + https
			}},
		{name: "metadata behind authentication", d: deployment{prmStatus: http.StatusUnauthorized},
			id: "prm.challenge", status: doctor.Fail, fix: fixed("serve /.well-known/* without authentication")},
		{name: "metadata is an HTML page", d: deployment{prmNotJSON: true},
			id: "prm.challenge", status: doctor.Fail, fix: fixed("serve the metadata as application/json")},
		{name: "relative resource_metadata", d: deployment{challenge: func(string) (string, bool) {
			return `Bearer resource_metadata="` + prmPathPart + `/mcp"`, true
		}}, id: "prm.challenge", status: doctor.Fail, fix: fixed("advertise an absolute https URL in resource_metadata")},
		{name: "resource_metadata on another origin outside the well-known path", d: deployment{challenge: func(string) (string, bool) {
			return `Bearer resource_metadata="https://auth.other.example/metadata"`, true
		}}, id: "prm.challenge", status: doctor.Fail, fix: func(f *fake) string {
			return "TASKBRIDGE_PUBLIC_URL is https://auth.other.example but the host reached " + f.URL + ": set TASKBRIDGE_PUBLIC_URL=" + f.URL
		}},
		{name: "metadata connection dropped", d: deployment{override: map[string]http.HandlerFunc{prmPathPart + "/mcp": dropConnection}},
			id: "prm.challenge", status: doctor.Fail, fix: func(f *fake) string {
				return "check that " + strings.TrimPrefix(f.URL, "https://") + " resolves and accepts connections"
			}},
		{name: "metadata larger than the doctor reads", d: deployment{override: map[string]http.HandlerFunc{
			prmPathPart + "/mcp": serve(http.StatusOK, "application/json", huge)}},
			id: "prm.challenge", status: doctor.Fail, fix: fixed("something other than taskbridge answers this URL"), detail: "too large"},
		{name: "metadata answer cut off", d: deployment{override: map[string]http.HandlerFunc{prmPathPart + "/mcp": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, `{"resource":`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}}},
			id: "prm.challenge", status: doctor.Fail, fix: fixed("resolves and accepts connections"), detail: "unexpected EOF"},
		{name: "metadata is broken JSON", d: deployment{override: map[string]http.HandlerFunc{
			prmPathPart + "/mcp": serve(http.StatusOK, "application/json", `{"resource":`)}},
			id: "prm.challenge", status: doctor.Fail, fix: fixed("serve the RFC 9728 document unchanged"), detail: "not valid JSON"},
		{name: "path metadata 404 without resource_metadata", d: deployment{
			challenge: func(string) (string, bool) { return `Bearer realm="x"`, true },
			override:  map[string]http.HandlerFunc{prmPathPart + "/mcp": notFound}},
			id: "prm.path", status: doctor.Fail, fix: fixed("hosts need this document: make sure the proxy forwards /.well-known/ to taskbridge")},
		{name: "no authorization servers", d: deployment{prmEdit: func(doc map[string]any) { delete(doc, "authorization_servers") }},
			id: "prm.challenge.as", status: doctor.Fail, fix: fixed("list the issuer (TASKBRIDGE_PUBLIC_URL) in authorization_servers")},
		{name: "metadata without CORS", d: deployment{noCORS: true},
			id: "prm.challenge.cors", status: doctor.Fail, fix: fixed("Access-Control-Allow-Origin: *")},
		{name: "AS metadata behind authentication", d: deployment{asStatus: http.StatusUnauthorized},
			id: "as.metadata", status: doctor.Fail, fix: fixed("serve /.well-known/* without authentication")},
		{name: "relative authorization server", d: deployment{prmEdit: func(doc map[string]any) { doc["authorization_servers"] = []any{"/"} }},
			id: "as.issuer", status: doctor.Fail, fix: fixed("list the issuer URL (TASKBRIDGE_PUBLIC_URL) in authorization_servers")},
		{name: "AS metadata connection dropped", d: deployment{override: map[string]http.HandlerFunc{"/.well-known/oauth-authorization-server": dropConnection}},
			id: "as.metadata", status: doctor.Fail, fix: fixed("resolves and accepts connections")},
		{name: "AS metadata is an HTML page", d: deployment{override: map[string]http.HandlerFunc{
			"/.well-known/oauth-authorization-server": serve(http.StatusOK, "text/html", "<html>app</html>")}},
			id: "as.metadata", status: doctor.Fail, fix: fixed("serve the metadata as application/json"), detail: "not JSON"},
		{name: "AS metadata is broken JSON", d: deployment{override: map[string]http.HandlerFunc{
			"/.well-known/oauth-authorization-server": serve(http.StatusOK, "application/json", `{"issuer":`)}},
			id: "as.metadata", status: doctor.Fail, fix: fixed("serve the RFC 8414 document unchanged"), detail: "not valid JSON"},
		{name: "issuer mismatch", d: deployment{asEdit: func(doc map[string]any) { doc["issuer"] = "https://old.example" }},
			id: "as.metadata.issuer", status: doctor.Fail, fix: func(f *fake) string {
				return "TASKBRIDGE_PUBLIC_URL is https://old.example but the host reached " + f.URL + ": set TASKBRIDGE_PUBLIC_URL=" + f.URL
			}},
		{name: "issuer with a trailing slash", d: deployment{asEdit: func(doc map[string]any) { doc["issuer"] = doc["issuer"].(string) + "/" }},
			id: "as.metadata.issuer", status: doctor.Fail, fix: fixed("remove the trailing slash")},
		{name: "no S256", d: deployment{asEdit: func(doc map[string]any) { doc["code_challenge_methods_supported"] = []any{"plain"} }},
			id: "as.metadata.pkce", status: doctor.Fail, fix: fixed(`code_challenge_methods_supported: ["S256"]`)},
		{name: "PKCE methods missing", d: deployment{asEdit: func(doc map[string]any) { delete(doc, "code_challenge_methods_supported") }},
			id: "as.metadata.pkce", status: doctor.Fail, fix: fixed("hosts refuse authorization servers without it")},
		{name: "no iss parameter", d: deployment{asEdit: func(doc map[string]any) { delete(doc, "authorization_response_iss_parameter_supported") }},
			id: "as.metadata.iss", status: doctor.Fail, fix: fixed("RFC 9207")},
		{name: "token endpoint on another host", d: deployment{asEdit: func(doc map[string]any) { doc["token_endpoint"] = "https://auth.other.example/token" }},
			id: "as.metadata.endpoints", status: doctor.Fail, fix: fixed("TASKBRIDGE_PUBLIC_URL is https://auth.other.example")},
		{name: "authorization endpoint over http", d: deployment{asEdit: func(doc map[string]any) { doc["authorization_endpoint"] = "http://tasks.example.com/authorize" }},
			id: "as.metadata.endpoints", status: doctor.Fail, fix: fixed("https URL hosts reach")},
		{name: "relative token endpoint", d: deployment{asEdit: func(doc map[string]any) { doc["token_endpoint"] = "/token" }},
			id: "as.metadata.endpoints", status: doctor.Fail, fix: fixed("advertise absolute URLs built from TASKBRIDGE_PUBLIC_URL"), detail: "token_endpoint"},
		{name: "no registration endpoint advertised", d: deployment{asEdit: func(doc map[string]any) { delete(doc, "registration_endpoint") }},
			id: "as.metadata.endpoints", status: doctor.Fail, fix: fixed("advertise registration_endpoint")},
		{name: "task scopes not advertised", d: deployment{asEdit: func(doc map[string]any) { doc["scopes_supported"] = []any{"openid"} }},
			id: "as.metadata.scopes", status: doctor.Fail, fix: fixed("in scopes_supported: hosts request only advertised scopes")},
		{name: "registration 404", d: deployment{register: notFound},
			id: "as.registration", status: doctor.Fail, fix: fixed("Error fetching OAuth configuration")},
		{name: "registration accepts an invalid client", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusCreated, map[string]any{"client_id": "oops"})
		}}, id: "as.registration", status: doctor.Fail, fix: fixed("refuse clients without redirect_uris")},
		{name: "registration error is not JSON", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad request", http.StatusBadRequest)
		}}, id: "as.registration", status: doctor.Fail, fix: fixed("registration errors must be JSON")},
		{name: "registration behind authentication", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}}, id: "as.registration", status: doctor.Fail, fix: fixed("remove proxy authentication from /register")},
		{name: "registration rate limited", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "slow_down"})
		}}, id: "as.registration", status: doctor.Warn, fix: fixed("run the doctor again later")},
		{name: "registration answers 500", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "server_error"})
		}}, id: "as.registration", status: doctor.Fail, fix: fixed("answer invalid client metadata with 400 and an RFC 7591 JSON error"), detail: "answered 500"},
		{name: "registration refused with an unexpected error code", d: deployment{register: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		}}, id: "as.registration", status: doctor.Warn, fix: fixed("RFC 7591 names invalid_redirect_uri or invalid_client_metadata"), detail: `"invalid_request"`},
		{name: "registration connection dropped", d: deployment{override: map[string]http.HandlerFunc{"/register": dropConnection}},
			id: "as.registration", status: doctor.Fail, fix: fixed("resolves and accepts connections")},
		{name: "token refused", token: "expired-token",
			id: "widget.connect", status: doctor.Fail, fix: fixed("the server refused the token")},
		{name: "token lacks a scope", token: testToken, d: deployment{authedStatus: refuseConnect(http.StatusForbidden)},
			id: "widget.connect", status: doctor.Fail, fix: fixed("the token lacks a scope: use a token granted tasks.read")},
		{name: "MCP with a token answers 404", token: testToken, d: deployment{authedStatus: refuseConnect(http.StatusNotFound)},
			id: "widget.connect", status: doctor.Fail, fix: fixed("nothing serves MCP at this URL")},
		{name: "initialize with a token fails otherwise", token: testToken, d: deployment{authedStatus: refuseConnect(http.StatusInternalServerError)},
			id: "widget.connect", status: doctor.Fail, fix: fixed("the MCP endpoint did not complete initialize; check the server logs")},
		{name: "tools/list fails", token: testToken, d: deployment{authedStatus: map[string]int{"tools/list": http.StatusInternalServerError}},
			id: "widget.tools", status: doctor.Fail, fix: fixed("the MCP endpoint did not complete tools/list; check the server logs"), detail: "tools/list failed"},
		{name: "token may call no tool", token: testToken, d: deployment{noTools: true},
			id: "widget.tools", status: doctor.Fail, fix: fixed("use a token granted tasks.read; tools/list shows only the tools the token may call")},
		{name: "widget template is empty", token: testToken, d: deployment{emptyWidget: true},
			id: "widget.resource", status: doctor.Fail, fix: fixed("serve the built single-file HTML"), detail: "has no content"},
		{name: "widget without ui.csp", token: testToken,
			d:  deployment{widgetMeta: func(m map[string]any) { delete(m["ui"].(map[string]any), "csp") }},
			id: "widget.csp", status: doctor.Fail, fix: fixed("declare both dialects")},
		{name: "widget without openai/widgetCSP", token: testToken,
			d:  deployment{widgetMeta: func(m map[string]any) { delete(m, "openai/widgetCSP") }},
			id: "widget.csp", status: doctor.Fail, fix: fixed("ChatGPT reads openai/widgetCSP")},
		{name: "widget CSP lists outside domains", token: testToken,
			d: deployment{widgetMeta: func(m map[string]any) {
				m["openai/widgetCSP"].(map[string]any)["resource_domains"] = []any{"https://cdn.example"}
			}},
			id: "widget.csp", status: doctor.Fail, fix: fixed("the widget must be self-contained")},
		{name: "widget CSP lists a non-string domain", token: testToken,
			d: deployment{widgetMeta: func(m map[string]any) {
				m["ui"].(map[string]any)["csp"].(map[string]any)["connectDomains"] = []any{42}
			}},
			id: "widget.csp", status: doctor.Fail, fix: fixed("the widget must be self-contained"), detail: `connectDomains lists outside domains ["42"]`},
		{name: "widget served as plain html", token: testToken, d: deployment{widgetMIME: "text/html"},
			id: "widget.mime", status: doctor.Fail, fix: fixed("text/html;profile=mcp-app")},
		{name: "stale template URI in the tools", token: testToken, d: deployment{widgetURI: "ui://taskbridge/board-ffffffffffff.html"},
			id: "widget.resource", status: doctor.Fail, fix: fixed("press Refresh on the plugin's details page in ChatGPT")},
		{name: "unversioned widget URI", token: testToken, d: deployment{
			widgetURI: "ui://taskbridge/board.html",
			toolMeta: func(m map[string]any) {
				m["ui"] = map[string]any{"resourceUri": "ui://taskbridge/board.html"}
				m["openai/outputTemplate"] = "ui://taskbridge/board.html"
			}},
			id: "widget.version", status: doctor.Fail, fix: fixed("put a content hash or version in the URI")},
		{name: "tool keys disagree", token: testToken, d: deployment{toolMeta: func(m map[string]any) {
			m["openai/outputTemplate"] = "ui://taskbridge/board-old.html"
		}}, id: "widget.tools", status: doctor.Fail, fix: fixed("set both keys to the same widget URI")},
		{name: "no tool names a widget", token: testToken, d: deployment{toolMeta: func(m map[string]any) {
			delete(m, "ui")
			delete(m, "openai/outputTemplate")
		}}, id: "widget.tools", status: doctor.Fail, fix: fixed("show_task_board")},
		{name: "no HSTS", d: deployment{noHSTS: true},
			id: "tls.hsts", status: doctor.Fail, fix: fixed("Strict-Transport-Security: max-age=63072000")},
		{name: "HSTS max-age too low", d: deployment{hsts: "max-age=300"},
			id: "tls.hsts", status: doctor.Warn, fix: fixed("use max-age=63072000 (two years)"), detail: "max-age is 300 seconds"},
		{name: "HSTS without max-age", d: deployment{hsts: "includeSubDomains"},
			id: "tls.hsts", status: doctor.Warn, fix: fixed("use max-age=63072000 (two years)"), detail: "max-age is 0 seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			f := newFake(t, d)
			if d.publicURL == "PLAIN" {
				f.d.publicURL = "http://" + strings.TrimPrefix(f.URL, "https://")
			}
			typed := ""
			if tc.typed != nil {
				typed = tc.typed(f)
			}
			rep, out := runDoctor(t, f, typed, tc.token)
			wantCheck(t, rep, out, tc.id, tc.status, tc.fix(f))
			if tc.detail != "" {
				wantDetail(t, rep, out, tc.id, tc.status, tc.detail)
			}
			switch {
			case tc.status == doctor.Fail && !rep.Failed():
				t.Error("Failed() is false although a check failed")
			case tc.status == doctor.Warn && rep.Failed():
				t.Errorf("a warning alone must not fail the run:\n%s", out)
			}
		})
	}
}

func fixed(s string) func(*fake) string { return func(*fake) string { return s } }

// refuseConnect answers both ways the go-sdk client opens a session
// (server/discover, then the initialize fallback) with code.
func refuseConnect(code int) map[string]int {
	return map[string]int{"server/discover": code, "initialize": code}
}

// wantDetail asserts a check with id and status whose detail contains detail.
func wantDetail(t *testing.T, rep doctor.Report, out, id string, status doctor.Status, detail string) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id && c.Status == status && strings.Contains(c.Detail, detail) {
			return
		}
	}
	t.Errorf("no %s %s check with detail containing %q; report:\n%s", status, id, detail, out)
}

// TestDoctorWidgetDoesNotNeedResourcesList: resources/list is only a
// fallback for the CSP declarations; its failure alone is no failure.
func TestDoctorWidgetDoesNotNeedResourcesList(t *testing.T) {
	f := newFake(t, deployment{authedStatus: map[string]int{"resources/list": http.StatusInternalServerError}})
	rep, out := runDoctor(t, f, "", testToken)
	wantNoFailures(t, rep, out)
	if c, _ := rep.Find("widget.csp"); c.Status != doctor.Pass {
		t.Errorf("widget.csp = %+v, want PASS from the read content's _meta\n%s", c, out)
	}
}

// TestDoctorRequiresEveryResourceScope: authorization-server metadata that
// lacks any one scope the tools need fails, naming it, whatever the scopes
// are called (they come from identity.ResourceScopes).
func TestDoctorRequiresEveryResourceScope(t *testing.T) {
	for _, missing := range identity.ResourceScopes() {
		t.Run(string(missing), func(t *testing.T) {
			f := newFake(t, deployment{asEdit: func(doc map[string]any) {
				var kept []any
				for _, s := range doc["scopes_supported"].([]any) {
					if s != string(missing) {
						kept = append(kept, s)
					}
				}
				doc["scopes_supported"] = kept
			}})
			rep, out := runDoctor(t, f, "", "")
			wantCheck(t, rep, out, "as.metadata.scopes", doctor.Fail, string(missing))
			wantDetail(t, rep, out, "as.metadata.scopes", doctor.Fail, "lacks "+string(missing))
			if !rep.Failed() {
				t.Error("Failed() is false although a required scope is missing")
			}
		})
	}
}

// TestDoctorNeverLeavesTheGivenOrigin is the tunnel case (the server thinks
// it lives elsewhere) and the SSRF guard: the documents name another
// server, which must receive no request at all.
func TestDoctorNeverLeavesTheGivenOrigin(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()

	f := newFake(t, deployment{publicURL: other.URL})
	rep, out := runDoctor(t, f, "", testToken)

	fix := "TASKBRIDGE_PUBLIC_URL is " + other.URL + " but the host reached " + f.URL + ": set TASKBRIDGE_PUBLIC_URL=" + f.URL
	wantCheck(t, rep, out, "prm.challenge", doctor.Fail, fix)
	wantCheck(t, rep, out, "prm.path.resource", doctor.Fail, fix)
	if n := hits.Load(); n != 0 {
		t.Errorf("the other origin received %d requests; the doctor must only contact the origin it was given", n)
	}
}

func TestDoctorDoesNotFollowAuthorizationServerToAnotherHost(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()

	f := newFake(t, deployment{prmEdit: func(doc map[string]any) { doc["authorization_servers"] = []any{other.URL} }})
	rep, out := runDoctor(t, f, "", "")
	wantCheck(t, rep, out, "as.issuer", doctor.Fail, "taskbridge is its own authorization server")
	if c, _ := rep.Find("as.registration"); c.Status != doctor.Skip {
		t.Errorf("as.registration = %+v, want SKIP", c)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other origin received %d requests", n)
	}
}

func TestDoctorDoesNotFollowRedirects(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	f := newFake(t, deployment{})
	redirecting := httptest.NewTLSServer(http.RedirectHandler(other.URL+"/mcp", http.StatusTemporaryRedirect))
	defer redirecting.Close()

	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: redirecting.URL + "/mcp", Transport: f.Client().Transport}, &out)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, rep, out.String(), "mcp.challenge", doctor.Fail, "hosts do not follow redirects")
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

// TestDoctorVerifiesCertificates uses the default transport: the test
// server's self-signed certificate must be refused.
func TestDoctorVerifiesCertificates(t *testing.T) {
	f := newFake(t, deployment{})
	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: f.URL + "/mcp", Timeout: 5 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, rep, out.String(), "mcp.challenge", doctor.Fail, "not signed by a trusted authority")
	wantCheck(t, rep, out.String(), "tls", doctor.Fail, "")
}

// TestDoctorTimesOut: a server that never answers gives a FAIL, not a hang.
func TestDoctorTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: srv.URL + "/mcp", Timeout: 50 * time.Millisecond}, &out)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, rep, out.String(), "mcp.challenge", doctor.Fail, "did not answer in time")
}

func TestDoctorURLRules(t *testing.T) {
	refuse := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") })
	for _, tc := range []struct{ url, fix, detail string }{
		{"", "pass --url", "no URL"},
		{"https://tasks example.com/mcp", "pass the MCP URL exactly as you type it into the host", "is not a URL"},
		{"ftp://tasks.example.com/mcp", "use https://host/mcp", `scheme "ftp"`},
		{"https:///mcp", "use https://host/mcp", "has no host"},
		{"http://tasks.example.com/mcp", "set TASKBRIDGE_PUBLIC_URL=https://tasks.example.com", "plain http"},
		{"https://user:pw@tasks.example.com/mcp", "never with credentials in the URL", "user information"},
		{"https://tasks.example.com/mcp#frag", "remove everything from ? or #", "query or fragment"},
	} {
		var out bytes.Buffer
		rep, err := doctor.Run(t.Context(), doctor.Options{URL: tc.url, Transport: refuse}, &out)
		if err != nil {
			t.Fatal(err)
		}
		wantCheck(t, rep, out.String(), "url", doctor.Fail, tc.fix)
		wantDetail(t, rep, out.String(), "url", doctor.Fail, tc.detail)
		if !rep.Failed() {
			t.Errorf("%q: Failed() is false", tc.url)
		}
		if strings.Contains(out.String(), "pw@") {
			t.Errorf("%q: the password is echoed", tc.url)
		}
	}
}

// TestDoctorAcceptsPlainHTTPOnLoopback: local development over http is
// fine under any loopback name.
func TestDoctorAcceptsPlainHTTPOnLoopback(t *testing.T) {
	refuse := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") })
	for _, u := range []string{"http://localhost:8080/mcp", "http://LOCALHOST:8080/mcp", "http://127.0.0.1:8080/mcp", "http://[::1]:8080/mcp"} {
		var out bytes.Buffer
		rep, err := doctor.Run(t.Context(), doctor.Options{URL: u, Transport: refuse}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := rep.Find("url"); c.Status != doctor.Pass {
			t.Errorf("%s: url = %+v, want PASS\n%s", u, c, out.String())
		}
	}
}

// TestDoctorReportsWriteErrors: a report that cannot be written is an
// error, not a silent pass.
func TestDoctorReportsWriteErrors(t *testing.T) {
	refuse := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") })
	_, err := doctor.Run(t.Context(), doctor.Options{URL: "https://tasks.example.com/mcp", Transport: refuse}, failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "write report") {
		t.Fatalf("Run with a failing writer: err = %v, want a write error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDoctorStripsControlCharactersFromServerText: what remote servers
// send must not write terminal escapes or fake lines into the report.
func TestDoctorStripsControlCharactersFromServerText(t *testing.T) {
	f := newFake(t, deployment{asEdit: func(doc map[string]any) { doc["issuer"] = "https://evil\x1b[2J\nPASS  all good" }})
	_, out := runDoctor(t, f, "", "")
	if strings.Contains(out, "\x1b") {
		t.Error("a server-supplied escape sequence reached the output")
	}
	if strings.Contains(out, "\nPASS  all good") {
		t.Error("a server-supplied newline forged a report line")
	}
}

func TestDoctorColorOnlyWhenAsked(t *testing.T) {
	f := newFake(t, deployment{})
	var out bytes.Buffer
	if _, err := doctor.Run(t.Context(), doctor.Options{URL: f.URL + "/mcp", Transport: f.Client().Transport, Color: true}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[32mPASS\x1b[0m") {
		t.Errorf("Color: true printed no coloured PASS:\n%q", out.String())
	}
}

// TestDoctorNeverSendsTheTokenOverPlainHTTP: an http URL to a non-loopback
// host gets no bearer token, whatever it answers.
func TestDoctorNeverSendsTheTokenOverPlainHTTP(t *testing.T) {
	var sent atomic.Bool
	spy := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "" {
			sent.Store(true)
		}
		// Answer everything, so the walk reaches the widget step.
		return &http.Response{StatusCode: http.StatusOK, Request: r,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{}`))}, nil
	})
	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: "http://tasks.example.com/mcp", Token: testToken, Transport: spy}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Load() {
		t.Error("the token was sent over plain http")
	}
	if !rep.Failed() {
		t.Error("an http URL outside localhost must fail")
	}
	if c, _ := rep.Find("widget"); c.Status != doctor.Skip || !strings.Contains(c.Detail, "not sending the token") {
		t.Errorf("widget = %+v, want SKIP refusing to send the token\n%s", c, out.String())
	}
}
