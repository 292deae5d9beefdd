package oauth_test

import (
	"net/http"
	"testing"
)

func TestFullFlowReachesProtectedEndpoint(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	c := e.publicClient()
	tok := e.login(user, c, true)
	if tok.Refresh == "" || tok.Scope != "tasks.read tasks.write" {
		t.Fatalf("tokens %+v", tok)
	}
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("mcp with token: %d", resp.StatusCode)
	}
}
