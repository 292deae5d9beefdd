package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestBrowserPagesPassAxe runs web/widget/test/pages.test.mjs: every server
// page, signed out and signed in, in light and dark at 375 and 1280 px,
// with axe-core finding nothing and nothing scrolling sideways (issue 16).
// The consent page is for an app whose self-chosen name is one long word.
func TestBrowserPagesPassAxe(t *testing.T) {
	if os.Getenv("TASKBRIDGE_BROWSER_TESTS") != "1" {
		t.Skip("browser tests run from `make test-browser` (TASKBRIDGE_BROWSER_TESTS=1)")
	}
	widgetDir, err := filepath.Abs("../../web/widget")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)

	redirect := "http://127.0.0.1:9/callback"
	reg, _ := json.Marshal(map[string]any{"client_name": "An" + strings.Repeat("Unbroken", 7) + "AppName", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"}})
	resp, err := http.Post(srv.URL+"/register", "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	var client struct {
		ID string `json:"client_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&client)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	authURL := srv.URL + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {client.ID}, "redirect_uri": {redirect},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"},
		"state": {"pages"}, "scope": {"tasks.read tasks.write"}, "resource": {srv.MCPURL()},
	}.Encode()

	cmd := exec.CommandContext(t.Context(), "node", "--test", "--test-reporter=spec", "test/pages.test.mjs")
	cmd.Dir = widgetDir
	cmd.Env = append(os.Environ(), "BASE_URL="+srv.URL, "AUTH_URL="+authURL, "EMAIL="+p.Email, "PASSWORD="+p.Password,
		"OUT_DIR="+filepath.Join(widgetDir, "test-results"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pages in the browser: %v", err)
	}
}
