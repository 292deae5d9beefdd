package identity_test

import (
	"os"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// Every row of the scope table says what each consumer needs: a scope
// without them would reach the consent or account page as a bare name,
// or an optional one as a checkbox no form field grants.
func TestEveryScopeTableRowIsComplete(t *testing.T) {
	names, fields := map[identity.Scope]bool{}, map[string]bool{}
	for _, d := range identity.ScopeTable() {
		if d.Name == "" || strings.ContainsAny(string(d.Name), " \"\\") || names[d.Name] {
			t.Errorf("scope %q: empty, not an OAuth scope token or listed twice", d.Name)
		}
		names[d.Name] = true
		if d.Resource != identity.ResourceMCP && d.Resource != identity.ResourceAuthServer {
			t.Errorf("scope %q belongs to no known resource (%q)", d.Name, d.Resource)
		}
		if d.Resource == identity.ResourceMCP && d.Consent == "" {
			t.Errorf("scope %q of the MCP resource has no consent wording: the user would grant it unseen", d.Name)
		}
		if d.Account == "" {
			t.Errorf("scope %q has no account-page wording", d.Name)
		}
		if d.Optional && (d.ConsentField == "" || d.Unticked == "" || fields[d.ConsentField]) {
			t.Errorf("optional scope %q needs its own consent form field and an Unticked note", d.Name)
		}
		fields[d.ConsentField] = fields[d.ConsentField] || d.ConsentField != ""
		if !d.Optional && (d.ConsentField != "" || d.Unticked != "") {
			t.Errorf("scope %q is not optional but has a checkbox field or note", d.Name)
		}
	}
	if !names[identity.ScopeOfflineAccess] {
		t.Error("offline_access is not in the table: hosts that ask for it would be refused")
	}
}

// PRIVACY.md's scope table quotes the consent page word for word (P1, P4):
// what a user reads before allowing an app is what the policy promises.
func TestPrivacyPolicyQuotesTheConsentWording(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range identity.ResourceScopes() {
		d, _ := identity.LookupScope(sc)
		row := "| `" + string(sc) + "` | " + d.Consent + " |"
		if d.Consent == "" || !strings.Contains(string(raw), row) {
			t.Errorf("PRIVACY.md has no scope row starting %q", row)
		}
	}
}
