package oauth

import (
	"os"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// PRIVACY.md's scope table quotes the consent page word for word (P1, P4):
// what a user reads before allowing an app is what the policy promises.
func TestPrivacyPolicyQuotesTheConsentWording(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range identity.ResourceScopes() {
		row := "| `" + string(sc) + "` | " + scopeWording[sc] + " |"
		if scopeWording[sc] == "" || !strings.Contains(string(raw), row) {
			t.Errorf("PRIVACY.md has no scope row starting %q", row)
		}
	}
}
