package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserTypeScriptClientsLinkAndUseEveryTool runs the official
// TypeScript MCP clients against the real server
// (web/widget/test/clients.test.mjs): the SDK v2 client pinned to protocol
// 2026-07-28 and the v1 client at 2025-11-25. Each discovers the server
// from its 401, registers itself, and sends a person new to the site
// through the authorization URL it produced, in headless chromium: they
// sign up on the way and allow read and write access. The client then
// redeems the code with its PKCE verifier, calls every tool, refreshes
// (each refresh rotates), and an old refresh token is replayed: the
// server revokes the family, so the client's own refresh gets
// invalid_grant and its access token is refused. The v2 client also
// narrows a refresh to tasks.read and calls a write tool: a tool error
// result with the scope challenge, valid at 2026-07-28.
func TestBrowserTypeScriptClientsLinkAndUseEveryTool(t *testing.T) {
	skipUnlessBrowserTests(t)
	srv := startServer(t)
	if err := runNodeTest(t, "test/clients.test.mjs", "MCP_URL="+srv.MCPURL()); err != nil {
		t.Fatalf("the TypeScript clients' journeys failed: %v", err)
	}
	// The operator sees each replay: one family revoked per client.
	logs := srv.Stderr.String()
	if n := strings.Count(logs, "refresh token reuse detected"); n != 2 {
		t.Errorf("the server logged %d refresh token reuses, want 2 (one per client)\n%s", n, logs)
	}
}

func skipUnlessBrowserTests(t *testing.T) {
	t.Helper()
	if os.Getenv("TASKBRIDGE_BROWSER_TESTS") != "1" {
		t.Skip("browser tests run from `make test-browser` (TASKBRIDGE_BROWSER_TESTS=1)")
	}
}

// runNodeTest runs one node test file of web/widget/test (installed by
// make test-browser) with env added and OUT_DIR set to its screenshots
// directory, its output shown with the Go test's.
func runNodeTest(t *testing.T, file string, env ...string) error {
	t.Helper()
	widgetDir, err := filepath.Abs("../../web/widget")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(t.Context(), "node", "--test", "--test-reporter=spec", file)
	cmd.Dir = widgetDir
	cmd.Env = append(append(os.Environ(), env...), "OUT_DIR="+filepath.Join(widgetDir, "test-results"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}
