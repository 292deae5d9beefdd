package mcpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

var tdb *testdb.Database

// testAudit is the audit log every test server writes with; tests compare
// actors through its pseudonyms.
var testAudit = mustAuditLog()

func mustAuditLog() *postgres.AuditLog {
	keys, err := audit.EphemeralKeys()
	if err != nil {
		panic(err)
	}
	return postgres.NewAuditLog(keys)
}

func TestMain(m *testing.M) { testdb.Main(m, &tdb) }

const (
	testPRM       = "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"
	userHeader    = "X-Test-User"
	scopesHeader  = "X-Test-Scopes"
	grantHeader   = "X-Test-Grant" // optional; else every request is a new grant
	pathHeader    = "X-Test-Path"  // "sdk": the handler that leaves every tools/call to the go-sdk
	clientIDValue = "test-client"
)

var (
	readOnly  = []identity.Scope{identity.ScopeTasksRead}
	writeOnly = []identity.Scope{identity.ScopeTasksWrite}
	readWrite = []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite}
)

// env is one real handler on a real database behind httptest.Server.
type env struct {
	db    *postgres.DB
	deps  mcpapi.Deps
	srv   *httptest.Server
	clock *testClock
	// protocol is the MCP version clients ask for; "" is the go-sdk's
	// latest.
	protocol string
	// sdk sends every request to the handler that leaves tools/call to the
	// go-sdk (else the direct path, fastcall.go, answers what it can).
	sdk bool
}

// path is one way a tools/call is answered: by the direct path
// (fastcall.go) or the go-sdk, in a protocol era.
type path struct {
	protocol string
	sdk      bool
}

func (e *env) use(p path) { e.protocol, e.sdk = p.protocol, p.sdk }

// onBothPaths runs test once per way a tools/call is answered: the direct
// path (fastcall.go) and the go-sdk, each in the legacy era hosts speak
// today (2025-06-18) and the current one (2026-07-28). All must enforce
// everything the test checks.
func onBothPaths(t *testing.T, test func(t *testing.T, via path)) {
	for _, era := range []string{"2025-06-18", "2026-07-28"} {
		t.Run("direct/"+era, func(t *testing.T) { test(t, path{protocol: era}) })
		t.Run("sdk/"+era, func(t *testing.T) { test(t, path{protocol: era, sdk: true}) })
	}
}

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

type option func(*mcpapi.Deps)

// testPrincipal is the test-only stand-in for the bearer middleware: it
// builds the principal from headers the test client sets. Production has
// no such path (the OAuth middleware is the only way in).
func testPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, err := uuid.Parse(r.Header.Get(userHeader)); err == nil {
			var scopes []identity.Scope
			for _, s := range strings.Fields(r.Header.Get(scopesHeader)) {
				scopes = append(scopes, identity.Scope(s))
			}
			grant, err := uuid.Parse(r.Header.Get(grantHeader))
			if err != nil {
				grant = uuid.New()
			}
			// Linked under the current consent wording, as every new
			// connection is (the profile tool's older ones: tools_profile_test.go).
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{
				UserID: u, ClientID: clientIDValue, GrantID: grant, Scopes: scopes, AccountLabelConsented: true}))
		}
		next.ServeHTTP(w, r.WithContext(logging.WithRequestID(r.Context(), "req-"+uuid.NewString()[:8])))
	})
}

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	tdb.Reset(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	clock := &testClock{t: time.Now()}
	deps := mcpapi.Deps{
		DB: db, Tasks: postgres.NewTasks(testKeys(t)), StateKey: []byte(strings.Repeat("k", 32)),
		Log:         logging.New(testWriter{t}, logging.Options{}),
		ResourceURL: "http://127.0.0.1/mcp", ResourceMetadataURL: testPRM, PublicURL: "http://127.0.0.1",
		Now: clock.now, Audit: testAudit,
		// As in production (internal/cli/serve_mcp.go), so every test,
		// the tools/list golden file included, sees the full tool set.
		AccountDeletion: testAccountDeletion{},
	}
	for _, o := range opts {
		o(&deps)
	}
	return &env{db: db, deps: deps, srv: newTestServer(t, deps), clock: clock}
}

// testKeys is a fresh keyring for one test.
func testKeys(t *testing.T) *keyring.Keyring {
	t.Helper()
	spec, err := keyring.Generate("test")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// newTestServer serves bothPaths(d) behind the test stand-in principal.
func newTestServer(t *testing.T, d mcpapi.Deps) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(testPrincipal(bothPaths(t, d)))
	t.Cleanup(srv.Close)
	return srv
}

// bothPaths is d's handler, and (for requests with pathHeader "sdk") the
// same handler with the direct path off, on one database.
func bothPaths(t *testing.T, d mcpapi.Deps) http.Handler {
	t.Helper()
	direct, err := mcpapi.NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	mcpapi.SDKOnly(&d)
	sdk, err := mcpapi.NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(pathHeader) == "sdk" {
			sdk.ServeHTTP(w, r)
			return
		}
		direct.ServeHTTP(w, r)
	})
}

// testAccountDeletion stands in for internal/privacy's deletion request:
// the tool's descriptor and audit do not depend on it (package privacy
// tests the real one through this tool). It starts nothing and links to a
// fixed account page with a fixed expiry, so the two call paths' answers
// can be compared byte for byte (fastcall_test.go).
type testAccountDeletion struct{}

const testDeletionURL = "http://127.0.0.1/account/data#delete"

var testDeletionExpiry = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (testAccountDeletion) RequestDeletion(_ context.Context, _ postgres.Querier, _ uuid.UUID, _ string) (string, time.Time, error) {
	return testDeletionURL, testDeletionExpiry, nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type headerTransport struct {
	user   uuid.UUID
	scopes []identity.Scope
	sdk    bool // the go-sdk answers (pathHeader)
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(userHeader, h.user.String())
	r.Header.Set(scopesHeader, identity.JoinScopes(h.scopes))
	if h.sdk {
		r.Header.Set(pathHeader, "sdk")
	}
	r.Header.Set("Authorization", "Bearer test-token") // read only by TestTokenInfoCrossCheck's verifier
	return http.DefaultTransport.RoundTrip(r)
}

// client connects the real go-sdk client as user with scopes.
func (e *env) client(t *testing.T, user uuid.UUID, scopes []identity.Scope) *mcp.ClientSession {
	t.Helper()
	return connect(t, e.srv.URL, headerTransport{user: user, scopes: scopes, sdk: e.sdk}, e.protocol)
}

// connect opens a session of the real go-sdk client to endpoint, asking
// for protocol ("" is the go-sdk's latest), closed when the test ends.
func connect(t *testing.T, endpoint string, rt http.RoundTripper, protocol string) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	sess, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: endpoint, HTTPClient: &http.Client{Transport: rt}, MaxRetries: -1, DisableStandaloneSSE: true,
	}, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// newUser inserts a user the way the account layer does.
func (e *env) newUser(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.New()
	err := e.db.InUserTx(context.Background(), id, func(tx postgres.Querier) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO users (id, email) VALUES ($1, $2)`, id, id.String()+"@example.test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// call invokes a tool and fails the test on a protocol error.
func call(t *testing.T, s *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", tool, err)
	}
	return res
}

func callOK(t *testing.T, s *mcp.ClientSession, tool string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	res := call(t, s, tool, args)
	if res.IsError {
		t.Fatalf("%s: tool error: %s", tool, text(res))
	}
	if out != nil {
		raw, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: structuredContent %s: %v", tool, raw, err)
		}
	}
	return res
}

// callErr invokes a tool that must fail as a tool error, without any
// structuredContent, and returns the error text.
func callErr(t *testing.T, s *mcp.ClientSession, tool string, args any) string {
	t.Helper()
	res := call(t, s, tool, args)
	if !res.IsError {
		t.Fatalf("%s: succeeded, want a tool error; result %s", tool, text(res))
	}
	if res.StructuredContent != nil {
		t.Fatalf("%s: error result carries structuredContent %v", tool, res.StructuredContent)
	}
	return text(res)
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

type auditRow struct {
	Type, Outcome string
	Actor         *string // the actor's audit pseudonym
	Client        *string
	Detail        map[string]any
}

// auditRows reads the audit trail as the superuser (inspection only).
func auditRows(t *testing.T) []auditRow {
	t.Helper()
	// Closed at once, not at the end of the test: a test reads the trail
	// before and after every call, and holding each connection until it
	// ends would exhaust max_connections of the cluster all packages share.
	conn := tdb.Admin(t)
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(context.Background(), `SELECT event_type, outcome, actor, client_id, detail FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.Type, &r.Outcome, &r.Actor, &r.Client, &r.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
