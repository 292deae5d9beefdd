package cli

import (
	"bytes"
	"strings"
	"testing"
)

// At a terminal the operator confirms by typing the address again; only
// the same address (case and surrounding space aside) lets the erasure go on.
func TestUsersDeleteConfirmationNeedsTheAddressTypedAgain(t *testing.T) {
	for typed, ok := range map[string]bool{
		"gone@example.test\n":      true,
		"  Gone@Example.TEST \r\n": true,
		"gone@example.test":        true, // EOF after the address
		"gone@example.tes\n":       false,
		"yes\n":                    false,
		"\n":                       false,
		"":                         false,
	} {
		var prompt bytes.Buffer
		err := confirmByRetyping(strings.NewReader(typed), &prompt, "gone@example.test")
		if (err == nil) != ok {
			t.Errorf("typed %q: err = %v, want ok=%v", typed, err, ok)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "nothing was deleted")) {
			t.Errorf("typed %q: the refusal %v does not say that nothing was deleted", typed, err)
		}
		if !strings.Contains(prompt.String(), "<gone@example.test>") || !strings.Contains(prompt.String(), "cannot be undone") {
			t.Errorf("prompt %q does not name the account and the consequence", prompt.String())
		}
	}
}
