package mcpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// acceptedVersions are the MCP revisions this server speaks, newest first:
// 2026-07-28, the current one, and the three earlier revisions of the
// streamable HTTP transport, which hosts still send (a client has no way
// to fall forward from the initialize handshake, and a request without
// MCP-Protocol-Version is 2025-03-26 by the transport's rule). 2024-11-05
// is left out, though the go-sdk accepts it: it predates streamable HTTP,
// so its clients speak the HTTP+SSE transport this server does not serve,
// and accepting it here would only widen the surface nothing uses.
func acceptedVersions() []string {
	return []string{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}
}

// modernFrom is the first revision with per-request _meta (SEP-2575); the
// go-sdk rejects an unsupported version from it on with -32022 itself.
const modernFrom = "2026-07-28"

// refuseUnsupportedVersion answers a request whose MCP-Protocol-Version is
// an earlier revision this server does not speak with the JSON-RPC error
// the specification defines for it (UnsupportedProtocolVersion, -32022,
// HTTP 400, data naming what is supported), as the go-sdk does for a later
// one; the go-sdk's own answer to an old version is a plain-text 400 a
// client cannot read. It reports false after answering.
func refuseUnsupportedVersion(w http.ResponseWriter, r *http.Request, calls []peekedRequest, batch bool) bool {
	v := r.Header.Get("Mcp-Protocol-Version")
	if v == "" || v >= modernFrom || slices.Contains(acceptedVersions(), v) {
		return true
	}
	id := json.RawMessage("null")
	if !batch && len(calls) == 1 && len(calls[0].ID) > 0 {
		id = calls[0].ID
	}
	data, _ := json.Marshal(mcp.UnsupportedProtocolVersionData{Supported: acceptedVersions(), Requested: v})
	writeRPCError(w, http.StatusBadRequest, id, jsonrpc.Error{Code: mcp.CodeUnsupportedProtocolVersion, Message: "unsupported protocol version " + v, Data: data})
	return false
}

// refuseUnknownLegacyMethod answers a request for a method no accepted
// legacy revision (2025-03-26 to 2025-11-25) defines with the JSON-RPC
// error Method not found (-32601), as the go-sdk does from 2026-07-28 on;
// in the legacy eras the go-sdk answers it with a plain-text 400 a client
// cannot read. Notifications and batches are left to the go-sdk. It
// reports false after answering.
func refuseUnknownLegacyMethod(w http.ResponseWriter, r *http.Request, calls []peekedRequest, batch bool) bool {
	if r.Header.Get("Mcp-Protocol-Version") >= modernFrom || batch || len(calls) != 1 {
		return true
	}
	c := calls[0]
	if len(c.ID) == 0 || string(c.ID) == "null" || c.Method == "" || strings.HasPrefix(c.Method, "notifications/") || servedMethod(c.Method) {
		return true
	}
	writeRPCError(w, http.StatusOK, c.ID, jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "method not found: " + c.Method})
	return false
}

// servedMethod reports whether the go-sdk's server answers method (its
// method table, mcp/server.go serverMethodInfos in v1.8.0): every request a
// legacy revision defines, and the 2026-07-28 ones, which it refuses
// properly in the legacy eras itself.
func servedMethod(method string) bool {
	switch method {
	case "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/templates/list",
		"resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
		"completion/complete", "logging/setLevel", "server/discover", "subscriptions/listen":
		return true
	}
	return false
}

// writeRPCError writes a JSON-RPC error response answering id.
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, e jsonrpc.Error) {
	body, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc.Error   `json:"error"`
	}{"2.0", id, e})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// undeclaredMethods answers the methods of capabilities the server does
// not declare (prompts, completions) with Method not found (-32601; HTTP
// 404 in 2026-07-28), in every protocol era. The go-sdk would answer
// prompts/list with an empty list, which tells a client the server has
// prompts after all.
func undeclaredMethods(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if capability := undeclaredCapability(method); capability != "" {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "method not found: this server has no " + capability}
		}
		return next(ctx, method, req)
	}
}

// undeclaredCapability names the capability method belongs to when the
// server does not declare it, else "".
func undeclaredCapability(method string) string {
	switch method {
	case "prompts/list", "prompts/get":
		return "prompts capability"
	case "completion/complete":
		return "completions capability"
	}
	return ""
}
