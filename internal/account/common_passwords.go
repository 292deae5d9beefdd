package account

import (
	_ "embed"
	"strings"
)

//go:embed common-passwords.txt
var commonPasswordsText string

// isCommonPassword reports whether lower (a lower-cased password) is on the
// shipped list of most-guessed passwords. The list is about a hundred lines,
// so scanning it per sign-up costs less than keeping a parsed copy around.
func isCommonPassword(lower string) bool {
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && strings.ToLower(line) == lower {
			return true
		}
	}
	return false
}
