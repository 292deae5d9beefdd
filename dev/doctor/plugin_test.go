package doctor_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/doctor"
)

// TestDoctorPluginChecksPassOnASpecDeployment: the 2026-07-28 discover
// walk, client ID metadata documents, the verification file, the widget
// domain, tool hints and the profile tool all pass on a deployment that
// follows the specs.
func TestDoctorPluginChecksPassOnASpecDeployment(t *testing.T) {
	f := newFake(t, deployment{})
	rep, out := runDoctor(t, f, "", testToken)
	for _, id := range []string{"mcp.discover", "as.cimd", "plugin.challenge", "widget.domain", "tools.annotations", "tools.profile"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("check %s: %+v (found %v), want PASS\n%s", id, c, ok, out)
		}
	}
}

// TestDoctorPluginChecksReportEachGap: each thing a plugin submission or a
// 2026 host needs, missing or wrong, gets its own line and fix.
func TestDoctorPluginChecksReportEachGap(t *testing.T) {
	for _, c := range []struct {
		name   string
		d      deployment
		id     string
		status doctor.Status
		fix    string
	}{
		{"no CIMD", deployment{asEdit: func(doc map[string]any) { delete(doc, "client_id_metadata_document_supported") }},
			"as.cimd", doctor.Warn, "prefer client ID metadata documents"},
		{"challenge file is a page", deployment{override: map[string]http.HandlerFunc{doctor.AppsChallengePath: serve(http.StatusOK, "text/html", "<html>hi</html>")}},
			"plugin.challenge", doctor.Fail, "serve exactly the token"},
		{"widget domains differ", deployment{widgetMeta: func(m map[string]any) { m["openai/widgetDomain"] = "https://other.example.com" }},
			"widget.domain", doctor.Fail, "the same origin under both keys"},
		{"shared sandbox domain", deployment{widgetMeta: func(m map[string]any) {
			m["openai/widgetDomain"] = "https://web-sandbox.oaiusercontent.com"
			m["ui"].(map[string]any)["domain"] = "https://web-sandbox.oaiusercontent.com"
		}}, "widget.domain", doctor.Fail, "unique to this deployment"},
		{"no hints", deployment{noHints: true}, "tools.annotations", doctor.Fail, "explicitly true or false"},
		{"no profile tool", deployment{noProfile: true}, "tools.profile", doctor.Warn, "get_account_profile"},
		{"discover refused", deployment{authedStatus: map[string]int{"server/discover": http.StatusBadRequest}},
			"mcp.discover", doctor.Fail, "Mcp-Protocol-Version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, out := runDoctor(t, newFake(t, c.d), "", testToken)
			wantCheck(t, rep, out, c.id, c.status, c.fix)
		})
	}
}

// TestDoctorSubmissionRequiresTheTokenAndTheWidgetDomain: a deployment
// without the verification token and the widget domain works with every
// host, so a plain run skips those checks with the advice; --submission
// fails them, as the plugin directory would.
func TestDoctorSubmissionRequiresTheTokenAndTheWidgetDomain(t *testing.T) {
	d := deployment{
		override: map[string]http.HandlerFunc{doctor.AppsChallengePath: serve(http.StatusNotFound, "application/json", `{"error":"not_found"}`)},
		widgetMeta: func(m map[string]any) {
			delete(m, "openai/widgetDomain")
			delete(m["ui"].(map[string]any), "domain")
		},
	}
	f := newFake(t, d)
	rep, out := runDoctor(t, f, "", testToken)
	wantDetail(t, rep, out, "plugin.challenge", doctor.Skip, "TASKBRIDGE_OPENAI_APPS_CHALLENGE")
	wantDetail(t, rep, out, "widget.domain", doctor.Skip, "TASKBRIDGE_WIDGET_DOMAIN")
	if rep.Failed() || rep.Count(doctor.Warn) > 0 {
		t.Errorf("a deployment without the submission extras must pass a plain run:\n%s", out)
	}

	var buf bytes.Buffer
	rep, err := doctor.Run(t.Context(), doctor.Options{URL: f.URL + "/mcp", Token: testToken, Timeout: 5 * time.Second,
		Transport: f.Client().Transport, Submission: true}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, rep, buf.String(), "plugin.challenge", doctor.Fail, "TASKBRIDGE_OPENAI_APPS_CHALLENGE")
	wantCheck(t, rep, buf.String(), "widget.domain", doctor.Fail, "TASKBRIDGE_WIDGET_DOMAIN")
}
