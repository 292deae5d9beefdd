package doctor_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/dev/doctor"
	"github.com/taskbridge/taskbridge/internal/identity"
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
	publicURL string           // what the server thinks TASKBRIDGE_PUBLIC_URL is; "" = its real URL
	plainHTTP bool             // serve http instead of https
	cert      *tls.Certificate // serve this certificate instead of httptest's (the client trusts it either way)

	// override answers these paths instead of the spec-following handler
	// (headers still apply): a proxy or another server answering there.
	override map[string]http.HandlerFunc

	mcpStatus int                                // answer unauthenticated MCP requests with this instead of 401
	challenge func(prmURL string) (string, bool) // WWW-Authenticate value and whether to send one

	prmStatus  int // status for PRM documents (0 = 200)
	prmNotJSON bool
	prmEdit    func(doc map[string]any)

	asStatus int
	asEdit   func(doc map[string]any)

	noCORS bool
	noHSTS bool
	hsts   string // Strict-Transport-Security value ("" = two years)

	register http.HandlerFunc // replaces the spec-following /register

	// authedStatus answers MCP requests that carry the right token with
	// an HTTP error, by JSON-RPC method ("initialize", "tools/list").
	authedStatus map[string]int
	noTools      bool // the token may call no tool (tools/list is empty)
	emptyWidget  bool // the template has no content

	toolMeta   func(m map[string]any)
	widgetURI  string // the URI the resource is served under ("" = widgetURI)
	widgetMIME string
	widgetMeta func(m map[string]any)
	noHints    bool // tools carry no annotations
	noProfile  bool // no tool is marked openai/profile
}

// fakeChallengeToken is what the fake serves at the domain-verification path.
const fakeChallengeToken = "oai-apps-challenge-0123456789"

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
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", f.asMeta)
	mux.HandleFunc("POST /register", f.registerHandler)
	mux.HandleFunc("GET "+doctor.AppsChallengePath, serve(http.StatusOK, "text/plain; charset=utf-8", fakeChallengeToken))
	f.Server = httptest.NewUnstartedServer(f.headers(mux))
	f.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	if d.cert != nil {
		f.TLS = &tls.Config{Certificates: []tls.Certificate{*d.cert}}
	}
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
			hsts := "max-age=63072000; includeSubDomains"
			if f.d.hsts != "" {
				hsts = f.d.hsts
			}
			w.Header().Set("Strict-Transport-Security", hsts)
		}
		if !f.d.noCORS && strings.HasPrefix(r.URL.Path, "/.well-known/") {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		if h, ok := f.d.override[r.URL.Path]; ok {
			h(w, r)
			return
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
		"scopes_supported":         scopeList(identity.ResourceScopes()),
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
		"scopes_supported":                               scopeList(identity.KnownScopes()),
		"response_types_supported":                       []any{"code"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported":          []any{"none", "client_secret_post", "client_secret_basic"},
		"authorization_response_iss_parameter_supported": true,
		"client_id_metadata_document_supported":          true,
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
			value, send := `Bearer resource_metadata="`+prmURL+`", scope="`+identity.JoinScopes(identity.ResourceScopes())+`"`, true
			if f.d.challenge != nil {
				value, send = f.d.challenge(prmURL)
			}
			if send {
				w.Header().Set("WWW-Authenticate", value)
			}
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token"})
			return
		}
		if len(f.d.authedStatus) > 0 {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg struct {
				Method string `json:"method"`
			}
			_ = json.Unmarshal(body, &msg)
			if code, ok := f.d.authedStatus[msg.Method]; ok {
				http.Error(w, http.StatusText(code), code)
				return
			}
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
		"openai/widgetDomain":        "https://tasks.example.com",
	}
	resMeta["ui"].(map[string]any)["domain"] = "https://tasks.example.com"
	if f.d.widgetMeta != nil {
		f.d.widgetMeta(resMeta)
	}

	s := mcp.NewServer(&mcp.Implementation{Name: "fake-taskbridge", Version: "1"}, nil)
	noop := func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{}, nil
	}
	object := map[string]any{"type": "object"}
	hints := func() *mcp.ToolAnnotations {
		if f.d.noHints {
			return nil
		}
		no := false
		return &mcp.ToolAnnotations{ReadOnlyHint: true, DestructiveHint: &no, OpenWorldHint: &no}
	}
	if !f.d.noTools {
		s.AddTool(&mcp.Tool{Name: "list_tasks", InputSchema: object, Annotations: hints()}, noop)
		s.AddTool(&mcp.Tool{Name: "show_task_board", InputSchema: object, Meta: toolMeta, Annotations: hints()}, noop)
		if !f.d.noProfile {
			s.AddTool(&mcp.Tool{Name: "get_account_profile", InputSchema: object, Annotations: hints(), Meta: mcp.Meta{"openai/profile": true}}, noop)
		}
	}
	html := widgetHTML
	if f.d.emptyWidget {
		html = ""
	}
	s.AddResource(&mcp.Resource{URI: uri, Name: "task board", MIMEType: mime},
		func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mime, Text: html, Meta: resMeta}}}, nil
		})
	return s
}

func scopeList(scopes []identity.Scope) []any {
	out := make([]any, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

// Handlers for deployment.override.

// dropConnection closes the connection without an answer.
func dropConnection(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }

// serve answers with status, contentType and body.
func serve(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// selfSignedCert is a certificate for ips and dnsNames valid from
// notBefore to notAfter, its own root (so a client trusting it gets past
// the authority check and meets the name or date check).
func selfSignedCert(t *testing.T, notBefore, notAfter time.Time, ips []net.IP, dnsNames []string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "doctor test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           ips,
		DNSNames:              dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
