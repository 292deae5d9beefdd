// Package browsertest runs the task board in headless Chromium inside a
// small MCP Apps test host (web/widget/test). The Go side serves the real
// MCP endpoint (internal/mcpapi on a testdb PostgreSQL database, as one
// test user), the host page, a sandbox origin that serves the ui://
// resource under the CSP derived from its ui.csp, as a real host does, and
// a read-only view of the stored tasks; the browser side
// (test/browser.test.mjs, playwright-core) drives the board and checks the
// database after each action.
//
// The tests run only when TASKBRIDGE_BROWSER_TESTS=1 (set by
// `make test-browser`, which installs what they need), so `go test ./...`
// needs neither Node nor a browser.
package browsertest
