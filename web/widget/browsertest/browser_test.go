package browsertest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/web/widget"
	"github.com/taskbridge/taskbridge/web/widget/browsertest"
)

// TestBrowserBoard runs test/browser.test.mjs (playwright-core, Debian
// chromium) against a host page on one loopback origin and the sandboxed
// View on another, with tool calls going to the real MCP server
// (internal/mcpapi over PostgreSQL). The browser test reads the stored row
// after each action; this test then checks the end state by task id.
func TestBrowserBoard(t *testing.T) {
	if os.Getenv("TASKBRIDGE_BROWSER_TESTS") != "1" {
		t.Skip("browser tests run from `make test-browser` (TASKBRIDGE_BROWSER_TESTS=1)")
	}
	backend := newBackend(t)
	h := startHarness(t, backend)
	ids := backend.seedStore(t, storeFixture())
	createThroughTool(t, h.host+"/mcp", xssCorpus)
	for _, f := range xssCorpus {
		got, err := backend.byTitle(t.Context(), f.Title)
		if err != nil || !got.Present || got.Notes != f.Notes {
			t.Fatalf("create_task did not store %q verbatim: %+v, %v", f.Title, got, err)
		}
	}
	fixture, err := json.Marshal(boardFixture())
	if err != nil {
		t.Fatal(err)
	}
	h.runNode(t, "test/browser.test.mjs", "BOARD_FIXTURE="+string(fixture))

	// End state of the rows the board changed, by id (a rename kept its row).
	want := map[string]storedTask{
		"Buy milk":         {Present: true, Title: "Buy milk", Status: "done"},
		"Call the plumber": {Present: true, Title: "Call the electrician", Notes: "Kitchen sink leaks.\nAsk for Tuesday.", Status: "open"},
		"Old idea":         {Present: true, Title: "Old idea", Status: "open"},
		"Water the plants": {Present: true, Title: "Water the plants", Status: "open"},
		"Throw away":       {},
	}
	for seeded, w := range want {
		got, err := backend.byID(t.Context(), ids[seeded])
		if err != nil {
			t.Fatal(err)
		}
		got.ID = ""
		if got != w {
			t.Errorf("after the browser run, the task seeded as %q is %+v, want %+v", seeded, got, w)
		}
	}
	if added, err := backend.byTitle(t.Context(), "Written in the browser"); err != nil || !added.Present || added.Status != "open" || added.InTrash {
		t.Errorf("the task added in the browser: %+v, %v", added, err)
	}
	// Purged means gone, not hidden: the table owner sees no row either.
	var left int
	if err := tdb.Admin(t).QueryRow(t.Context(), `SELECT count(*) FROM tasks WHERE id = $1`, ids["Throw away"]).Scan(&left); err != nil || left != 0 {
		t.Errorf("purged task still has %d row(s) (%v)", left, err)
	}
	for _, r := range h.reports.all() {
		if !strings.Contains(r, "csp-probe") {
			t.Errorf("CSP violation report for something other than the probe: %s", r)
		}
	}
}

// harness is what every browser run of the board needs: the real MCP
// endpoint and the built test hosts on one loopback origin, the sandbox
// (the View under the CSP from its ui.csp) on another, and the state view
// of the database on a third.
type harness struct {
	widgetDir, host, sandbox, state string
	reports                         *cspReports
}

func startHarness(t *testing.T, backend *backend) *harness {
	t.Helper()
	widgetDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	hostDir := filepath.Join(widgetDir, "test-results", "host")
	if _, err := os.Stat(filepath.Join(hostDir, "index.html")); err != nil {
		t.Fatalf("test host not built (npm run build:testhost): %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", backend.mcp)
	mux.Handle("/", http.FileServer(http.Dir(hostDir)))
	host := httptest.NewServer(mux)
	t.Cleanup(host.Close)
	state := httptest.NewServer(backend.stateHandler(t))
	t.Cleanup(state.Close)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(widgetDir, "test", "host", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	h := &harness{widgetDir: widgetDir, host: host.URL, state: state.URL, reports: &cspReports{}}
	sandbox := httptest.NewUnstartedServer(nil)
	sandbox.Config.Handler = sandboxHandler(t, host.URL+"/mcp", h.reports, func() string { return sandbox.URL }, read("openai-shim.js"), read("sandbox-proxy.js"))
	sandbox.Start()
	t.Cleanup(sandbox.Close)
	h.sandbox = sandbox.URL
	return h
}

// runNode runs one node test file against the harness; it fails the test
// when the browser test fails.
func (h *harness) runNode(t *testing.T, file string, env ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", "--test", "--test-reporter=spec", file)
	cmd.Dir = h.widgetDir
	cmd.Env = append(append(os.Environ(),
		"HOST_URL="+h.host,
		"SANDBOX_URL="+h.sandbox,
		"STATE_URL="+h.state,
		"OUT_DIR="+filepath.Join(h.widgetDir, "test-results"),
	), env...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser test %s failed: %v", file, err)
	}
}

type cspReports struct {
	mu   sync.Mutex
	list []string
}

func (c *cspReports) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, s)
}

func (c *cspReports) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.list...)
}

// sandboxHandler is the host's sandbox origin: it reads the ui:// resource
// from the MCP server as a host does and serves it with the CSP derived
// from the resource's own ui.csp (plus a report-uri for the test).
//
// With ?dialect=openai it stands in for a ChatGPT-style host that offers
// only window.openai: the shim (test/host/openai-shim.js) is put before
// the bundle, as ChatGPT injects its runtime, and talks to the host page
// over its own messages, not the MCP Apps bridge.
//
// /proxy is the outer frame of the double-iframe sandbox (sandboxProxy,
// test/host/sandbox-proxy.js) under the same CSP, which the View it writes
// into its inner frame inherits.
func sandboxHandler(t *testing.T, mcpURL string, reports *cspReports, self func() string, openaiShim, sandboxProxy string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/sandbox", func(w http.ResponseWriter, r *http.Request) {
		uri := r.URL.Query().Get("uri")
		html, meta, err := readResource(r.Context(), mcpURL, uri)
		if err != nil {
			t.Errorf("sandbox: %v", err)
			http.Error(w, "cannot read the resource", http.StatusBadGateway)
			return
		}
		if r.URL.Query().Get("dialect") == "openai" {
			html = strings.Replace(html, "<head>", "<head><script>"+openaiShim+"</script>", 1)
		}
		w.Header().Set("Content-Security-Policy", browsertest.HostCSP(meta, self()+"/csp-report"))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, html)
	})
	mux.HandleFunc("/proxy", func(w http.ResponseWriter, r *http.Request) {
		_, meta, err := readResource(r.Context(), mcpURL, r.URL.Query().Get("uri"))
		if err != nil {
			t.Errorf("sandbox proxy: %v", err)
			http.Error(w, "cannot read the resource", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Security-Policy", browsertest.HostCSP(meta, self()+"/csp-report"))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox</title>`+
			`<style>html,body{margin:0;height:100%;overflow:hidden}</style></head><body><script>`+sandboxProxy+`</script></body></html>`)
	})
	mux.HandleFunc("/csp-report", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		reports.add(string(body))
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func readResource(ctx context.Context, mcpURL, uri string) (string, map[string]any, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "taskbridge-test-host", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, DisableStandaloneSSE: true}, nil)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = cs.Close() }()
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		return "", nil, err
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != widget.MIMEType {
		return "", nil, errUnexpected(uri)
	}
	return res.Contents[0].Text, res.Contents[0].Meta, nil
}

type errUnexpected string

func (e errUnexpected) Error() string { return "unexpected resource contents for " + string(e) }
