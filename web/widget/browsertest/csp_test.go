package browsertest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/web/widget"
	"github.com/taskbridge/taskbridge/web/widget/browsertest"
)

// TestHostCSPFromWidgetMetaAllowsNoOrigin: the policy a host derives from
// the board's declared ui.csp lets it connect nowhere, load nothing from
// outside, and embed no frame (W1, P3).
func TestHostCSPFromWidgetMetaAllowsNoOrigin(t *testing.T) {
	raw, _ := json.Marshal(widget.ResourceMeta(""))
	var meta map[string]any
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	csp := browsertest.HostCSP(meta, "")
	for _, want := range []string{"default-src 'none'", "connect-src 'none'", "frame-src 'none'", "object-src 'none'",
		"script-src 'self' 'unsafe-inline';", "img-src 'self' data:;"} {
		if !strings.Contains(csp+";", want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("CSP names an outside origin: %q", csp)
	}
}

func TestHostCSPAddsDeclaredDomainsOnly(t *testing.T) {
	meta := map[string]any{"ui": map[string]any{"csp": map[string]any{
		"connectDomains":  []any{"https://api.example"},
		"resourceDomains": []any{"https://cdn.example", "bad domain; script-src *"},
	}}}
	csp := browsertest.HostCSP(meta, "")
	if !strings.Contains(csp, "connect-src https://api.example") || !strings.Contains(csp, "script-src 'self' 'unsafe-inline' https://cdn.example;") {
		t.Errorf("declared domains not applied: %q", csp)
	}
	if strings.Contains(csp, "bad domain") {
		t.Errorf("an invalid domain was copied into the policy: %q", csp)
	}
}
