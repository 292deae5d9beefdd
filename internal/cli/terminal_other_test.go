//go:build !linux

package cli_test

import (
	"os"
	"testing"
)

// openTerminal: the tests open pseudo-terminals through Linux ioctls only.
func openTerminal(t *testing.T) (tty *os.File, output func() string) {
	t.Skip("terminal-mode tests open a pseudo-terminal the Linux way; skipped on this system")
	return nil, nil
}
