package doctor_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The fake below is a deployment of taskbridge as the published specs
// describe it (internal/oauth metadata and bearer challenge, internal/mcpapi
// widget wiring). Each test changes one thing to mimic a misconfiguration
// peers' users hit, then asserts the doctor's FAIL line and fix.

const (
	testToken   = "test-access-token"
	widgetURI   = "ui://taskbridge/board-0123456789ab.html"
	widgetHTML  = "<!doctype html><html><body>board</body></html>"
	prmPathPart = "/.well-known/oauth-protected-resource"
)

// deployment is the knobs of the fake. The zero value follows the spec.
type deployment struct {
	publicURL string // what the server thinks TASKBRIDGE_PUBLIC_URL is; "" = its real URL
	plainHTTP bool   // serve http instead of https

	mcpStatus int                                // answer unauthenticated MCP requests with this instead of 401
	challenge func(prmURL string) (string, bool) // WWW-Authenticate value and whether to send one

	prmStatus  int // status for PRM documents (0 = 200)
	prmNotJSON bool
	prmEdit    func(doc map[string]any)

	asStatus int
	asEdit   func(doc map[string]any)

	noCORS bool
	noHSTS bool

	register http.HandlerFunc // replaces the spec-following /register

	toolMeta   func(m map[string]any)
	widgetURI  string // the URI the resource is served under ("" = widgetURI)
	widgetMIME string
	widgetMeta func(m map[string]any)
}

// fake is a running deployment plus what it saw.
type fake struct {
	*httptest.Server
	d deployment

	mu            sync.Mutex
	registrations []map[string]any
}

func (f *fake) public() string {
	if f.d.publicURL != "" {
		return f.d.publicURL
	}
	return f.URL
}

func newFake(t *testing.T, d deployment) *fake {
	t.Helper()
	f := &fake{d: d}
	mux := http.NewServeMux()
	mux.Handle("POST /mcp", f.mcpHandler())
	mux.Handle("GET /mcp", f.mcpHandler())
	mux.HandleFunc("GET "+prmPathPart+"/mcp", f.prm)
	mux.HandleFunc("GET "+prmPathPart, f.prm)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", f.asMeta)
	mux.HandleFunc("GET /.well-known/openid-configuration", f.asMeta)
	mux.HandleFunc("POST /register", f.registerHandler)
	f.Server = httptest.NewUnstartedServer(f.headers(mux))
	f.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	if d.plainHTTP {
		f.Start()
	} else {
		f.StartTLS()
	}
	t.Cleanup(f.Close)
	return f
}

// headers adds HSTS and CORS the way taskbridge's middleware does.
func (f *fake) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.d.noHSTS && !f.d.plainHTTP {
			w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !f.d.noCORS && strings.HasPrefix(r.URL.Path, "/.well-known/") {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fake) prm(w http.ResponseWriter, r *http.Request) {
	if f.d.prmStatus != 0 {
		writeJSON(w, f.d.prmStatus, map[string]any{"error": "unauthorized"})
		return
	}
	if f.d.prmNotJSON {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login</html>"))
		return
	}
	doc := map[string]any{
		"resource":                 f.public() + "/mcp",
		"authorization_servers":    []any{f.public()},
		"scopes_supported":         []any{"tasks.read", "tasks.write"},
		"bearer_methods_supported": []any{"header"},
	}
	if f.d.prmEdit != nil {
		f.d.prmEdit(doc)
	}
	writeJSON(w, http.StatusOK, doc)
}

func (f *fake) asMeta(w http.ResponseWriter, r *http.Request) {
	if f.d.asStatus != 0 {
		writeJSON(w, f.d.asStatus, map[string]any{"error": "unauthorized"})
		return
	}
	p := f.public()
	doc := map[string]any{
		"issuer":                                         p,
		"authorization_endpoint":                         p + "/authorize",
		"token_endpoint":                                 p + "/token",
		"registration_endpoint":                          p + "/register",
		"revocation_endpoint":                            p + "/revoke",
		"code_challenge_methods_supported":               []any{"S256"},
		"scopes_supported":                               []any{"tasks.read", "tasks.write", "offline_access"},
		"response_types_supported":                       []any{"code"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported":          []any{"none", "client_secret_post", "client_secret_basic"},
		"authorization_response_iss_parameter_supported": true,
	}
	if f.d.asEdit != nil {
		f.d.asEdit(doc)
	}
	writeJSON(w, http.StatusOK, doc)
}

func (f *fake) registerHandler(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.registrations = append(f.registrations, body)
	f.mu.Unlock()
	if f.d.register != nil {
		f.d.register(w, r)
		return
	}
	if uris, _ := body["redirect_uris"].([]any); len(uris) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_redirect_uri", "error_description": "at least one redirect URI is required"})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"client_id": "created"})
}

// mcpHandler is a go-sdk server behind a bearer check like
// oauth.RequireBearer: no or wrong token gets 401 with the challenge.
func (f *fake) mcpHandler() http.Handler {
	server := f.mcpServer()
	mcpHTTP := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.d.mcpStatus != 0 {
			writeJSON(w, f.d.mcpStatus, map[string]any{"jsonrpc": "2.0", "id": 1, "result": map[string]any{}})
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			prmURL := f.public() + prmPathPart + "/mcp"
			value, send := `Bearer resource_metadata="`+prmURL+`", scope="tasks.read tasks.write"`, true
			if f.d.challenge != nil {
				value, send = f.d.challenge(prmURL)
			}
			if send {
				w.Header().Set("WWW-Authenticate", value)
			}
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token"})
			return
		}
		mcpHTTP.ServeHTTP(w, r)
	})
}

func (f *fake) mcpServer() *mcp.Server {
	uri := widgetURI
	if f.d.widgetURI != "" {
		uri = f.d.widgetURI
	}
	mime := "text/html;profile=mcp-app"
	if f.d.widgetMIME != "" {
		mime = f.d.widgetMIME
	}
	toolMeta := map[string]any{
		"ui":                    map[string]any{"resourceUri": widgetURI},
		"openai/outputTemplate": widgetURI,
	}
	if f.d.toolMeta != nil {
		f.d.toolMeta(toolMeta)
	}
	resMeta := map[string]any{
		"ui": map[string]any{
			"csp":           map[string]any{"connectDomains": []any{}, "resourceDomains": []any{}},
			"prefersBorder": true,
		},
		"openai/widgetCSP":           map[string]any{"connect_domains": []any{}, "resource_domains": []any{}},
		"openai/widgetPrefersBorder": true,
	}
	if f.d.widgetMeta != nil {
		f.d.widgetMeta(resMeta)
	}

	s := mcp.NewServer(&mcp.Implementation{Name: "fake-taskbridge", Version: "1"}, nil)
	noop := func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{}, nil
	}
	object := map[string]any{"type": "object"}
	s.AddTool(&mcp.Tool{Name: "list_tasks", InputSchema: object}, noop)
	s.AddTool(&mcp.Tool{Name: "show_task_board", InputSchema: object, Meta: toolMeta}, noop)
	s.AddResource(&mcp.Resource{URI: uri, Name: "task board", MIMEType: mime},
		func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mime, Text: widgetHTML, Meta: resMeta}}}, nil
		})
	return s
}
