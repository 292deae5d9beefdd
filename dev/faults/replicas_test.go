package faults_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/dev/loadgen"
	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/oauth"
)

// TestTwoReplicasShareTokensRevocationAndTheAuditChain runs two `serve`
// replicas on one database behind one public URL, as the deployment
// example does (two replicas behind Caddy):
//
//   - a token issued by replica A (the real authorization-code flow through
//     A's login, consent and token endpoints) works on replica B;
//   - a revocation on A is honoured by B within oauth.TokenCacheTTL (one
//     second): measured from the moment A answered the revocation to the
//     start of the first request B refused, polling every 20 ms;
//   - both replicas run the audit sealer under load, and the chain still
//     verifies: the sealer takes an advisory lock, so one seals at a time.
//
// The other background job that must not run on two replicas at once, the
// retention pass, takes a pg_try_advisory_lock too; its scheduler wakes at
// most once a minute, so privacy.TestRetentionRunsOnOneReplicaAtATime
// checks it with two runners on separate pools instead of here.
func TestTwoReplicasShareTokensRevocationAndTheAuditChain(t *testing.T) {
	_, db := newCluster(t)
	port := freePort(t)
	public := fmt.Sprintf("http://127.0.0.1:%d", port)
	auditKey := randomKey(t)
	shared := map[string]string{
		"TASKBRIDGE_PUBLIC_URL": public,
		"TASKBRIDGE_AUDIT_KEY":  auditKey,
	}
	envA := serveEnv(t, db, shared)
	envA["TASKBRIDGE_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
	envB := serveEnv(t, db, shared)
	envB["TASKBRIDGE_ENCRYPTION_KEYS"] = envA["TASKBRIDGE_ENCRYPTION_KEYS"]
	envB["TASKBRIDGE_MCP_STATE_KEY"] = envA["TASKBRIDGE_MCP_STATE_KEY"]
	a := startReplica(t, envA)
	b := startReplica(t, envB)

	email, password := "replica@example.test", "harbour lantern 7 meadow"
	createUser(t, db, email, password)
	client := registerClient(t, public)
	tok := linkThroughBrowser(t, public, client, email, password)

	// Issued by A, accepted by B: create on B, read on A.
	var created struct {
		Task struct{ ID string } `json:"task"`
	}
	onB := &loadgen.Caller{URL: b.mcpURL(), Token: tok.Access, Client: httpClient(10 * time.Second)}
	onA := &loadgen.Caller{URL: a.mcpURL(), Token: tok.Access, Client: httpClient(10 * time.Second)}
	out, err := onB.Call(context.Background(), "create_task", map[string]any{"title": "made on B"})
	if err != nil {
		t.Fatalf("replica B refuses a token replica A issued: %v", err)
	}
	if err := json.Unmarshal(out, &created); err != nil || created.Task.ID == "" {
		t.Fatalf("create on B: %s %v", out, err)
	}
	if _, err := onA.Call(context.Background(), "get_task", map[string]any{"id": created.Task.ID}); err != nil {
		t.Fatalf("A cannot read what B wrote: %v", err)
	}

	// Load on both replicas at once, so both sealers have work.
	var wg sync.WaitGroup
	for _, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := loadgen.Run(context.Background(), loadgen.Options{URL: r.mcpURL(), Tokens: []string{tok.Access},
				Clients: 4, Duration: 2 * time.Second, MaxCalls: 5000, HTTPClient: httpClient(10 * time.Second)})
			if err != nil {
				t.Error(err)
				return
			}
			if rep.Errors > 0 {
				t.Errorf("load on %s: %d errors %v", r.addr, rep.Errors, rep.ByKind)
			}
		}()
	}
	wg.Wait()

	// Revoke on A; B keeps polling.
	if _, err := onB.Call(context.Background(), "list_tasks", map[string]any{"limit": 1}); err != nil {
		t.Fatalf("B before the revocation: %v", err) // B has the token in its cache now
	}
	revokedAt := revoke(t, public, client, tok.Refresh)
	// B verified the token before A answered the revocation, so B trusts
	// it for at most TokenCacheTTL after that: any call that starts once
	// the bound has passed must be refused. Waiting out the bound is the
	// behaviour under test, not synchronisation with background work.
	time.Sleep(time.Until(revokedAt.Add(oauth.TokenCacheTTL)))
	if _, err := onB.Call(context.Background(), "list_tasks", map[string]any{"limit": 1}); loadgen.Kind(err) != "http_401" {
		t.Errorf("replica B still accepts a token revoked on A %s ago (bound %s): %v", time.Since(revokedAt).Round(time.Millisecond), oauth.TokenCacheTTL, err)
	}

	// Both sealers ran; the chain verifies under the shared key.
	runCLI(t, map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL, "TASKBRIDGE_AUDIT_KEY": auditKey}, "", "audit", "seal")
	out2 := runCLI(t, map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL, "TASKBRIDGE_AUDIT_KEY": auditKey}, "", "audit", "verify")
	t.Logf("audit verify: %s", strings.TrimSpace(out2))
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomKey(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// runCLI runs a taskbridge command and fails the test if it fails.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	var out capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: args, Getenv: func(k string) string { return env[k] },
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("taskbridge %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func createUser(t *testing.T, db *testdb.Database, email, password string) {
	t.Helper()
	runCLI(t, map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL}, password+"\n", "users", "create", "--email", email)
}

type oauthClient struct{ ID, Redirect string }

func registerClient(t *testing.T, public string) oauthClient {
	t.Helper()
	c := oauthClient{Redirect: "http://127.0.0.1:9/callback"}
	body, _ := json.Marshal(map[string]any{"client_name": "replica test", "redirect_uris": []string{c.Redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(public+"/register", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reg); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	c.ID = reg.ClientID
	return c
}

type tokens struct{ Access, Refresh string }

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

func hidden(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// linkThroughBrowser signs in on the login form, consents to read and
// write, and exchanges the code: what a person and an app do.
func linkThroughBrowser(t *testing.T, public string, c oauthClient, email, password string) tokens {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, public+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", public)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		} else {
			req.Header.Set("Sec-Fetch-Site", "none")
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, string(raw)
	}
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	authorize := "/authorize?" + url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.Redirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"s1"}, "scope": {"tasks.read tasks.write"}, "resource": {public + "/mcp"}}.Encode()

	_, loginPage := do(http.MethodGet, "/login", nil)
	form := hidden(t, loginPage)
	form.Set("email", email)
	form.Set("password", password)
	resp, body := do(http.MethodPost, "/login", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if next, _ := url.Parse(resp.Header.Get("Location")); next != nil && next.Path == "/account/privacy-consent" {
		// An operator-made account accepts the privacy policy at its first
		// sign-in, before any app can be linked (C3).
		_, page := do(http.MethodGet, next.String(), nil)
		accept := hidden(t, page)
		accept.Set("consent", "yes")
		if resp, body := do(http.MethodPost, "/account/privacy-consent", accept); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("privacy policy consent: %d %s", resp.StatusCode, body)
		}
	}
	resp, consent := do(http.MethodGet, authorize, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), consent)
	}
	decision := hidden(t, consent)
	decision.Set("decision", "allow")
	decision.Set("grant_write", "1")
	resp, _ = do(http.MethodPost, "/authorize", decision)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tr, err := http.PostForm(public+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {c.ID}, "redirect_uri": {c.Redirect}, "code_verifier": {verifier}, "resource": {public + "/mcp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Body.Close()
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(tr.Body).Decode(&out); err != nil || tr.StatusCode != http.StatusOK || out.AccessToken == "" {
		t.Fatalf("token: %d %v", tr.StatusCode, err)
	}
	return tokens{Access: out.AccessToken, Refresh: out.RefreshToken}
}

// revoke disconnects the app through A's RFC 7009 endpoint and returns when
// A answered.
func revoke(t *testing.T, public string, c oauthClient, refresh string) time.Time {
	t.Helper()
	resp, err := http.PostForm(public+"/revoke", url.Values{"token": {refresh}, "client_id": {c.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	return time.Now()
}
