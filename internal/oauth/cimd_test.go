package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/oauth"
)

// docServer serves a client ID metadata document over TLS on 127.0.0.1.
type docServer struct {
	srv   *httptest.Server
	hits  atomic.Int32
	serve func(w http.ResponseWriter, r *http.Request, id string)
}

func newDocServer(t *testing.T) *docServer {
	d := &docServer{}
	d.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.hits.Add(1)
		d.serve(w, r, d.srv.URL+r.URL.Path)
	}))
	t.Cleanup(d.srv.Close)
	d.serve = func(w http.ResponseWriter, r *http.Request, id string) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": id, "client_name": "Doc Client", "redirect_uris": []string{"https://app.example.com/callback"},
			"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "private_key_jwt",
			"token_endpoint_auth_methods_supported": []string{"none", "private_key_jwt"},
		})
	}
	return d
}

func allowLoopback(ip netip.Addr) bool { return ip.IsLoopback() }

func TestCIMD_LoopbackAddressRefusedByDefault(t *testing.T) {
	d := newDocServer(t)
	e := newEnv(t, withOptions(oauth.WithCIMDRootCAs(poolOf(d.srv))))
	b := e.browser(e.newUser())
	p := newPKCE()
	for _, id := range []string{
		d.srv.URL + "/client.json",
		strings.Replace(d.srv.URL, "127.0.0.1", "localhost", 1) + "/client.json", // a name resolving to loopback
	} {
		resp := e.getAs(b, e.authorizeURL(testClient{ID: id, Redirect: "https://app.example.com/callback"}, p, nil))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Fatalf("%s: %d %q", id, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if d.hits.Load() != 0 {
		t.Fatal("the server connected to a loopback address")
	}
}

func TestCIMD_DocumentFetchedCachedAndUsable(t *testing.T) {
	d := newDocServer(t)
	e := newEnv(t, withOptions(oauth.WithCIMDRootCAs(poolOf(d.srv)), oauth.WithCIMDAddressPolicy(allowLoopback)))
	c := testClient{ID: d.srv.URL + "/oauth/client.json", Redirect: "https://app.example.com/callback"}
	user := e.newUser()
	b := e.browser(user)
	_, page := e.consent(b, e.authorizeURL(c, newPKCE(), nil))
	if !strings.Contains(page, "Doc Client") || !strings.Contains(page, "published at <strong>127.0.0.1") {
		t.Fatalf("consent page for a metadata client:\n%s", page)
	}
	tok := e.login(user, c, true)
	if tok.Refresh == "" || e.mcp("Bearer "+tok.Access).StatusCode != http.StatusOK {
		t.Fatalf("metadata client tokens %+v", tok)
	}
	if d.hits.Load() != 1 {
		t.Fatalf("document fetched %d times within the cache lifetime", d.hits.Load())
	}
	e.clock.Advance(e.cfg.OAuth.CIMDCacheTTL + time.Second)
	e.consent(b, e.authorizeURL(c, newPKCE(), nil))
	if d.hits.Load() != 2 {
		t.Fatalf("document not fetched again after the cache lifetime (%d)", d.hits.Load())
	}
}

func TestCIMD_DocumentRules(t *testing.T) {
	cases := map[string]func(w http.ResponseWriter, r *http.Request, id string){
		"client_id differs": func(w http.ResponseWriter, r *http.Request, id string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id + "x", "redirect_uris": []string{"https://app.example.com/callback"}, "token_endpoint_auth_method": "none"})
		},
		"too large": func(w http.ResponseWriter, r *http.Request, id string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "redirect_uris": []string{"https://app.example.com/callback"}, "token_endpoint_auth_method": "none", "pad": strings.Repeat("x", 6000)})
		},
		"redirect": func(w http.ResponseWriter, r *http.Request, id string) {
			// The target would be acceptable: only not following redirects refuses it.
			if r.URL.Path == "/client.json" {
				http.Redirect(w, r, "/moved.json", http.StatusFound)
				return
			}
			orig := strings.TrimSuffix(id, "/moved.json") + "/client.json"
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": orig, "redirect_uris": []string{"https://app.example.com/callback"}, "token_endpoint_auth_method": "none"})
		},
		"confidential only": func(w http.ResponseWriter, r *http.Request, id string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "redirect_uris": []string{"https://app.example.com/callback"}, "token_endpoint_auth_method": "private_key_jwt"})
		},
		"bad redirect uri": func(w http.ResponseWriter, r *http.Request, id string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "redirect_uris": []string{"javascript:alert(1)"}, "token_endpoint_auth_method": "none"})
		},
		"not json":  func(w http.ResponseWriter, r *http.Request, id string) { _, _ = w.Write([]byte("<html>")) },
		"not found": func(w http.ResponseWriter, r *http.Request, id string) { http.NotFound(w, r) },
	}
	for name, serve := range cases {
		t.Run(name, func(t *testing.T) {
			d := newDocServer(t)
			d.serve = serve
			e := newEnv(t, withOptions(oauth.WithCIMDRootCAs(poolOf(d.srv)), oauth.WithCIMDAddressPolicy(allowLoopback)))
			c := testClient{ID: d.srv.URL + "/client.json", Redirect: "https://app.example.com/callback"}
			resp := e.getAs(e.browser(e.newUser()), e.authorizeURL(c, newPKCE(), nil))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		d := newDocServer(t)
		e := newEnv(t, withOptions(oauth.WithCIMDAddressPolicy(allowLoopback)))
		c := testClient{ID: d.srv.URL + "/client.json", Redirect: "https://app.example.com/callback"}
		if resp := e.getAs(e.browser(e.newUser()), e.authorizeURL(c, newPKCE(), nil)); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("self-signed document server accepted: %d", resp.StatusCode)
		}
	})
	t.Run("not a document URL", func(t *testing.T) {
		e := newEnv(t)
		for _, id := range []string{"http://app.example.com/client.json", "https://app.example.com/", "https://app.example.com/a/../b", "https://app.example.com/a/%2e%2e/b", "https://app.example.com/c?x=1"} {
			resp := e.getAs(e.browser(e.newUser()), e.authorizeURL(testClient{ID: id, Redirect: "https://app.example.com/callback"}, newPKCE(), url.Values{}))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %d", id, resp.StatusCode)
			}
		}
	})
}

func TestPublicAddressPolicy(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700:4700::1111": true, "93.184.216.34": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false,
		"224.0.0.1": false, "ff02::1": false, "100.64.0.1": false, "198.18.0.1": false, "192.0.2.1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::": false,
		"255.255.255.255": false, "2001:db8::1": false,
		// IPv6 forms that embed an IPv4 address are judged by it.
		"::7f00:1": false, "::a00:1": false, "::a9fe:a9fe": false, "::808:808": true, // IPv4-compatible
		"::ffff:0:7f00:1": false, "::ffff:0:808:808": true, // IPv4-translated
		"64:ff9b::7f00:1": false, "64:ff9b::a9fe:a9fe": false, "64:ff9b::808:808": true, // NAT64
		"64:ff9b:1::808:808": false, "64:ff9b:1:a00:1::": false, // local-use NAT64: never
		"2002:7f00:1::1": false, "2002:c0a8:101::": false, "2002:808:808::1": true, // 6to4
		"2001:0:808:808::f7ff:fefe": true,  // Teredo, server and client 8.8.8.8 and 8.0.1.1
		"2001:0:808:808::80ff:fffe": false, // Teredo client 127.0.0.1
		"2001:0:a00:1::f7ff:fefe":   false, // Teredo server 10.0.0.1
		"2001:1::1":                 false, // other protocol assignments stay refused
	} {
		if got := oauth.PublicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}
