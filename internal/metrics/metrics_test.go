package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"go.yaml.in/yaml/v3"

	"github.com/taskbridge/taskbridge/internal/metrics"
)

func scrape(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// recordEverything feeds each metric, including hostile label values.
func recordEverything(t *testing.T, reg *metrics.Registry) {
	t.Helper()
	r := chi.NewRouter()
	r.Use(reg.HTTP)
	r.Get("/tasks/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	r.Get("/boom", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, path := range []string{"/tasks/550e8400-e29b-41d4-a716-446655440000", "/boom", "/users/alice@example.com", "/550e8400e29b41d4a716446655440000"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("FROBNICATE-550e8400", srv.URL+"/boom", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	reg.ToolCall("create_task", "success")
	reg.ToolCall("550e8400-e29b-41d4-a716-446655440000", "success")
	reg.AuthFailure("invalid_token")
	reg.AuthFailure("bob@example.com")
	reg.LoginFailed()
	reg.RateLimited("/oauth/token")
	reg.RateLimited("client 3f2a9c1e-0000-4000-8000-000000000000")
	reg.InjectionFlag("instruction_override")
	reg.RetentionDeleted("trashed_tasks", 3)
	reg.RefreshTokenReuse()
	reg.AuditSealed(42, 1500*time.Millisecond)
	reg.AuditVerifyProblems(2)
	reg.AuditChainVerified(time.Unix(1700000000, 0))
}

var (
	uuidLike  = regexp.MustCompile(`(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}`)
	emailLike = regexp.MustCompile(`[^\s"@]+@[^\s"@]+`)
	labelPair = regexp.MustCompile(`([a-z_]+)="([^"]*)"`)
)

func TestScrapeCarriesNoIdentifiersInLabels(t *testing.T) {
	reg := metrics.New()
	recordEverything(t, reg)
	out := scrape(t, reg)
	values := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "taskbridge_") {
			continue
		}
		for _, m := range labelPair.FindAllStringSubmatch(line, -1) {
			values++
			if uuidLike.MatchString(m[2]) || emailLike.MatchString(m[2]) {
				t.Errorf("label %s=%q carries an identifier: %s", m[1], m[2], line)
			}
		}
	}
	if values == 0 {
		t.Fatal("no labelled taskbridge samples scraped")
	}
	for _, want := range []string{
		`taskbridge_http_requests_total{code="2xx",method="GET",route="/tasks/{id}"} 1`,
		`taskbridge_http_requests_total{code="5xx",method="GET",route="/boom"} 1`,
		`method="other"`,
		`taskbridge_tool_calls_total{outcome="success",tool="create_task"} 1`,
		`taskbridge_tool_calls_total{outcome="success",tool="other"} 1`,
		`taskbridge_auth_failures_total{reason="other"} 1`,
		`taskbridge_login_failures_total 1`,
		`taskbridge_retention_deleted_total{kind="trashed_tasks"} 3`,
		`taskbridge_refresh_token_reuse_total 1`,
		`taskbridge_audit_head_seq 42`,
		`taskbridge_audit_seal_lag_seconds 1.5`,
		`taskbridge_audit_verify_problems 2`,
		`taskbridge_audit_verified_timestamp_seconds 1.7e+09`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.LoginFailed()
	if strings.Contains(scrape(t, b), "taskbridge_login_failures_total 1") {
		t.Fatal("a second registry saw the first one's count: a shared global registry")
	}
}

func TestNopRecorderIsUsable(t *testing.T) {
	var r metrics.Recorder = metrics.Nop{}
	r.ToolCall("x", "y")
	r.AuditSealed(1, time.Second)
}

type alertFile struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert string
			Expr  string
		}
	}
}

func TestAlertRulesReferenceExistingMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f alertFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	reg := metrics.New()
	recordEverything(t, reg)
	exposed := map[string]bool{}
	for _, line := range strings.Split(scrape(t, reg), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			exposed[strings.Fields(name)[0]] = true
		}
	}
	metricName := regexp.MustCompile(`taskbridge_[a-z_]+`)
	seen := map[string]bool{}
	rules := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: a rule without alert name or expr", g.Name)
			}
			names := metricName.FindAllString(r.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: references no taskbridge metric", r.Alert)
			}
			for _, n := range names {
				base := n
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if exposed[strings.TrimSuffix(n, suffix)] {
						base = strings.TrimSuffix(n, suffix)
					}
				}
				if !exposed[base] {
					t.Errorf("%s: metric %s does not exist", r.Alert, n)
				}
				seen[base] = true
			}
		}
	}
	for _, must := range []string{metrics.AuthFailures, metrics.HTTPRequests, metrics.TokenReuse, metrics.AuditSealLag, metrics.RateLimitHits, metrics.AuditHeadSeq, metrics.LoginFailures, metrics.AuditProblems, metrics.AuditVerified} {
		if !seen[must] {
			t.Errorf("no alert rule uses %s", must)
		}
	}
	if rules < 5 {
		t.Errorf("only %d rules", rules)
	}
}

// TestAuthFailureReasonsKeepTheirLabel: the fixed reasons internal/oauth
// reports (refused bearer tokens, and token_/revoke_ plus an OAuth error
// code for the token and revocation endpoints) reach the scrape as they
// are, not as "other", so the alert's by-reason breakdown stays readable.
func TestAuthFailureReasonsKeepTheirLabel(t *testing.T) {
	reg := metrics.New()
	reasons := []string{"malformed", "unknown", "expired", "revoked", "audience", "wrong_kind",
		"token_invalid_request", "token_invalid_client", "token_invalid_grant", "token_unauthorized_client",
		"token_unsupported_grant_type", "token_invalid_scope", "token_invalid_target", "token_other",
		"revoke_invalid_request", "revoke_invalid_client"}
	for _, r := range reasons {
		reg.AuthFailure(r)
	}
	out := scrape(t, reg)
	for _, r := range reasons {
		if want := metrics.AuthFailures + `{reason="` + r + `"} 1`; !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
