package doctor_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/doctor"
)

// closedPort is a loopback port nothing listens on: connecting to it is
// refused, as it is for localhost inside a container without the server.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// wantExactCheck asserts a check with exactly this detail and fix.
func wantExactCheck(t *testing.T, rep doctor.Report, out, id string, status doctor.Status, detail, fix string) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id && c.Status == status && (detail == "" || c.Detail == detail) && c.Fix == fix {
			return
		}
	}
	t.Errorf("want %s %s\n  %s\n  fix: %s\ngot:\n%s", status, id, detail, fix, out)
}

// TestDoctorExplainsLocalhostInsideAContainer: `docker compose run ... app
// doctor --url http://localhost:8080/mcp` starts a new container, where
// localhost is that container; the refused connection is explained with
// the two ways that work. Outside a container the advice is to start the
// server. The connection is really refused (nothing listens on the port);
// only the container detection is set by the test.
func TestDoctorExplainsLocalhostInsideAContainer(t *testing.T) {
	port := strconv.Itoa(closedPort(t))
	typed := "http://localhost:" + port + "/mcp"
	for _, tc := range []struct {
		inContainer bool
		fix         string
	}{
		{true, "the doctor runs inside a container, where localhost is that container itself, not your machine or the app's container, and nothing listens there: " +
			"run the doctor from the host instead (bin/taskbridge doctor --url " + typed + "), or inside compose reach the app by its service name " +
			"(docker compose run --rm --no-deps app doctor --url http://app:8080/mcp; hosts never use that name, so the url and resource checks fail on it: only TASKBRIDGE_PUBLIC_URL + /mcp shows what hosts see)"},
		{false, "nothing accepts connections on localhost:" + port + ": start the server (taskbridge serve, or docker compose up -d) and check that it listens on this port (TASKBRIDGE_ADDR); " +
			"if this doctor runs inside a container, localhost is that container: run bin/taskbridge doctor --url " + typed + " from the host"},
	} {
		var out bytes.Buffer
		rep, err := doctor.Run(t.Context(), doctor.Options{URL: typed, Timeout: 5 * time.Second,
			InContainer: func() bool { return tc.inContainer }}, &out)
		if err != nil {
			t.Fatal(err)
		}
		wantExactCheck(t, rep, out.String(), "mcp.challenge", doctor.Fail, "", tc.fix)
		if !strings.Contains(out.String(), "fix: "+tc.fix+"\n") {
			t.Errorf("the printed report does not show the fix whole:\n%s", out.String())
		}
	}
}

// TestDoctorOnAComposeServiceName: checking the app by its compose service
// name reaches the server, which names its public URL; the advice is to
// check that URL where it is reachable, never to make the internal name
// public. Name resolution is the only thing replaced: "app" dials the
// test server.
func TestDoctorOnAComposeServiceName(t *testing.T) {
	f := newFake(t, deployment{plainHTTP: true, publicURL: "http://localhost:8080"})
	dialer := &net.Dialer{}
	toFake := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, f.Listener.Addr().String())
	}}
	t.Cleanup(toFake.CloseIdleConnections)
	var out bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: "http://app:8080/mcp", Timeout: 5 * time.Second, Transport: toFake}, &out)
	if err != nil {
		t.Fatal(err)
	}
	wantExactCheck(t, rep, out.String(), "url", doctor.Fail,
		`http://app:8080/mcp uses plain http and the host name "app", which only containers or machines on this network can resolve`,
		"hosts never reach the server by this name: they use TASKBRIDGE_PUBLIC_URL + /mcp (https, or http on localhost for a host on the same machine); check that URL to see what hosts see")
	wantExactCheck(t, rep, out.String(), "prm.path.resource", doctor.Fail, "",
		"TASKBRIDGE_PUBLIC_URL is http://localhost:8080, and http://app:8080 cannot replace it (plain http outside localhost; hosts need https): "+
			"check that URL on the machine the server runs on: bin/taskbridge doctor --url http://localhost:8080/mcp")
	if strings.Contains(out.String(), "TASKBRIDGE_PUBLIC_URL=http://app") || strings.Contains(out.String(), "TASKBRIDGE_PUBLIC_URL=https://app") {
		t.Errorf("the doctor advises making the internal name public:\n%s", out.String())
	}
}

// TestDoctorOnAPublicServerThroughLocalhost: checking a deployed server
// through its local port names both readings: a host on this machine, or
// the public URL hosts use.
func TestDoctorOnAPublicServerThroughLocalhost(t *testing.T) {
	f := newFake(t, deployment{publicURL: "https://tasks.example.com"})
	rep, out := runDoctor(t, f, "", "")
	wantExactCheck(t, rep, out, "prm.path.resource", doctor.Fail, "",
		"TASKBRIDGE_PUBLIC_URL is https://tasks.example.com but the host reached "+f.URL+": set TASKBRIDGE_PUBLIC_URL="+f.URL+
			" and restart the server if the host runs on this machine (MCP Inspector); if hosts reach the server at https://tasks.example.com, "+
			"check that URL instead: taskbridge doctor --url https://tasks.example.com/mcp")
}

// TestDoctorOnHTTPToAnHTTPSServer: http:// typed for a server that speaks
// https gets told to use https, not a generic "expected 401".
func TestDoctorOnHTTPToAnHTTPSServer(t *testing.T) {
	f := newFake(t, deployment{})
	plain := "http://" + strings.TrimPrefix(f.URL, "https://") + "/mcp"
	rep, out := runDoctor(t, f, plain, "")
	wantExactCheck(t, rep, out, "mcp.challenge", doctor.Fail,
		"POST "+plain+" answered 400: this address speaks https, not http",
		"type "+f.URL+"/mcp into the host (and check that URL with the doctor)")
}

// TestDoctorNamesWhereARedirectLeads: hosts do not follow redirects, so
// the URL to type is the target when that is an MCP URL.
func TestDoctorNamesWhereARedirectLeads(t *testing.T) {
	f := newFake(t, deployment{})
	for _, tc := range []struct{ location, fix string }{
		{f.URL + "/mcp", "hosts do not follow redirects on MCP POSTs: type " + f.URL + "/mcp into the host, and check that URL with the doctor"},
		{"/mcp/", "hosts do not follow redirects on MCP POSTs: type the URL that answers without a redirect into the host (ending in /mcp; often https instead of http); " +
			"a proxy that redirects /mcp to REDIRECTOR/mcp/ must forward it instead"},
	} {
		redirecting := httptest.NewServer(http.RedirectHandler(tc.location, http.StatusPermanentRedirect))
		typed := redirecting.URL + "/mcp"
		var out bytes.Buffer
		rep, err := doctor.Run(t.Context(), doctor.Options{URL: typed, Timeout: 5 * time.Second}, &out)
		redirecting.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantExactCheck(t, rep, out.String(), "mcp.challenge", doctor.Fail, "", strings.ReplaceAll(tc.fix, "REDIRECTOR", redirecting.URL))
	}
}

// TestDoctorFailsAPathIssuerWithoutMetadata: for an issuer with a path,
// RFC 8414 puts the metadata outside the path; when it is not served there
// the run fails, naming the one route that makes it work. (taskbridge
// serves no OpenID discovery, so there is no URL inside the prefix.)
func TestDoctorFailsAPathIssuerWithoutMetadata(t *testing.T) {
	f := newFake(t, deployment{prmEdit: func(doc map[string]any) {
		doc["authorization_servers"] = []any{strings.TrimSuffix(doc["resource"].(string), "/mcp") + "/tasks"}
	}})
	rep, out := runDoctor(t, f, "", "")
	wantExactCheck(t, rep, out, "as.metadata", doctor.Fail,
		"GET "+f.URL+"/.well-known/oauth-authorization-server/tasks answered 404",
		"taskbridge is served under /tasks, and hosts look for this document outside it: have the proxy route /.well-known/oauth-authorization-server/tasks to taskbridge's /.well-known/oauth-authorization-server")
}

// TestDoctorOnADocumentThatDisagreesWithARightPublicURL: a metadata
// document naming the base URL as its resource, while TASKBRIDGE_PUBLIC_URL
// is right, must not get "X is A but the host reached A: set it to A".
func TestDoctorOnADocumentThatDisagreesWithARightPublicURL(t *testing.T) {
	f := newFake(t, deployment{prmEdit: func(doc map[string]any) {
		doc["resource"] = strings.TrimSuffix(doc["resource"].(string), "/mcp")
	}})
	rep, out := runDoctor(t, f, "", "")
	wantExactCheck(t, rep, out, "prm.challenge.resource", doctor.Fail,
		f.URL+prmPathPart+`/mcp says resource "`+f.URL+`" but the MCP URL checked is "`+f.URL+`/mcp"; hosts compare them byte for byte and stop`,
		"TASKBRIDGE_PUBLIC_URL matches the URL checked ("+f.URL+"), and taskbridge derives every URL in its documents from it: a proxy rewriting the document, or another server answering this path, changes it")
}

// TestDoctorNamesThePathPrefixOfAMetadataURLElsewhere: a challenge naming
// metadata on another origin behind a path prefix implies a public URL
// with that prefix, which the advice names whole.
func TestDoctorNamesThePathPrefixOfAMetadataURLElsewhere(t *testing.T) {
	f := newFake(t, deployment{challenge: func(string) (string, bool) {
		return `Bearer resource_metadata="https://tasks.example.com/tasks` + prmPathPart + `/mcp"`, true
	}})
	rep, out := runDoctor(t, f, "", "")
	wantExactCheck(t, rep, out, "prm.challenge", doctor.Fail, "",
		"TASKBRIDGE_PUBLIC_URL is https://tasks.example.com/tasks but the host reached "+f.URL+": set TASKBRIDGE_PUBLIC_URL="+f.URL+
			" and restart the server if the host runs on this machine (MCP Inspector); if hosts reach the server at https://tasks.example.com/tasks, "+
			"check that URL instead: taskbridge doctor --url https://tasks.example.com/tasks/mcp")
}
