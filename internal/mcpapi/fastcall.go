package mcpapi

import (
	"context"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The direct tools/call path. A stateless tools/call through the go-sdk
// costs more server CPU than the database work it triggers (issue 7,
// docs/performance.md): the SDK builds and tears down a session per
// request, decodes the message with 32 KiB buffers, and encodes the result
// three times over as it nests it into the JSON-RPC response, compacting
// the whole payload at each level. The hot request, one tools/call in a
// protocol version this server speaks (2026-07-28 or a legacy one), is
// answered here instead: the body is decoded once, the same receiving
// middleware chain (Deps.Middleware, then the server's own) runs around the
// same registered handler, which applies the per-call policy (policy.go),
// and the result is encoded once, with what the request's era requires.
//
// Anything else goes to the SDK, which remains the reference: a batch, a
// notification, another method, an unknown tool, an unknown or
// unsupported protocol version, a 2026-07-28 request whose per-request
// metadata or Mcp-Method / Mcp-Name headers the SDK would refuse, a header
// this path does not interpret (Last-Event-ID, Mcp-Session-Id, any other
// Mcp-* header), any params field but name, arguments and _meta, a
// progress token, or a body that is not exactly one well-formed JSON-RPC
// request. Declining is always safe; answering differently from the SDK is
// not, so TestDirectToolCallMatchesSDK and FuzzDirectToolCallMatchesSDK
// compare the two paths' answers in both eras.
//
// One difference a middleware can see: a request on this path has no
// Session (req.GetSession() holds a nil *mcp.ServerSession). A stateless
// request's session lives for that request only and can send the client
// nothing the response does not carry, so middleware has no use for it.

// currentProtocol is the protocol revision with per-request metadata
// (SEP-2575): its tools/call carries _meta protocolVersion and
// clientCapabilities and the Mcp-Method and Mcp-Name headers, and its
// results carry resultType and serverInfo.
const currentProtocol = "2026-07-28"

// directVersions are the protocol versions whose tools/call this path
// answers. An absent header means 2025-03-26 to the SDK, and here.
var directVersions = map[string]bool{
	currentProtocol: true,
	"":              true, "2025-11-25": true, "2025-06-18": true, "2025-03-26": true, "2024-11-05": true,
}

// serveToolCall answers body, a tools/call already read by httpLayer, and
// reports true; or writes nothing and reports false, and the SDK answers.
func (s *service) serveToolCall(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if s.sdkOnly || !directRequest(r) {
		return false
	}
	version := r.Header.Get("Mcp-Protocol-Version")
	id, params, ok := decodeToolCall(body, version, s.metaVerdicts.fits)
	if !ok {
		return false
	}
	if _, known := s.specs[params.Name]; !known || s.tools[params.Name] == nil {
		return false
	}
	if version == currentProtocol && !standardHeadersMatch(r.Header, params.Name) {
		return false
	}
	if s.onDirectCall != nil {
		s.onDirectCall(params.Name)
	}
	req := &mcp.CallToolRequest{
		Params: params,
		Extra:  &mcp.RequestExtra{TokenInfo: auth.TokenInfoFromContext(r.Context()), Header: r.Header},
	}
	res, err := s.directCall(r.Context(), "tools/call", req)
	buf := s.responses.get()
	defer s.responses.put(buf)
	out, status, encErr := s.appendResponse((*buf)[:0], id, res, err, version == currentProtocol)
	*buf = out
	if encErr != nil {
		// Only a result that cannot be encoded gets here (addTool turns
		// every tool failure into a tool error). Like the SDK, answer with
		// a JSON-RPC error; unlike it, keep the detail in the log.
		s.Log.ErrorContext(r.Context(), "tool call: encode the result", "tool", params.Name, "err", encErr)
		out, status = appendInternalError(make([]byte, 0, 128), id), http.StatusOK
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
	return true
}

// callRegisteredTool is the innermost handler of the direct path's
// middleware chain, where the SDK would run its own tools/call.
func (s *service) callRegisteredTool(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
	call, ok := req.(*mcp.CallToolRequest)
	if method != "tools/call" || !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "a middleware changed the method of a tools/call"}
	}
	handler := s.tools[call.Params.Name]
	if handler == nil { // a middleware renamed the tool
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", call.Params.Name)}
	}
	return handler(ctx, call)
}

// responseBuffers recycles the direct path's response buffers: a list
// answer is tens of KiB, which growing from scratch for every call
// reallocates several times over, a good part of the path's garbage.
type responseBuffers struct{ pool sync.Pool }

// maxPooledResponse keeps an unusually large answer's buffer out of the
// pool.
const maxPooledResponse = 256 << 10

func (b *responseBuffers) get() *[]byte {
	if buf, ok := b.pool.Get().(*[]byte); ok {
		return buf
	}
	buf := make([]byte, 0, 16<<10)
	return &buf
}

func (b *responseBuffers) put(buf *[]byte) {
	if cap(*buf) <= maxPooledResponse {
		b.pool.Put(buf)
	}
}

// directRequest checks the HTTP side of the request the way the SDK's
// stateless handler does, and declines where the SDK would refuse: the SDK
// then writes its own refusal.
func directRequest(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	version := r.Header.Get("Mcp-Protocol-Version")
	if !directVersions[version] {
		return false
	}
	for k := range r.Header {
		switch {
		case k == "Last-Event-Id":
			return false
		case k == "Mcp-Protocol-Version":
		case version == currentProtocol && (k == "Mcp-Method" || k == "Mcp-Name"):
		case strings.HasPrefix(k, "Mcp-"):
			return false
		}
	}
	// DNS-rebinding protection, as the SDK applies it: a server listening
	// on loopback answers only requests addressed to a loopback host.
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil {
		if isLoopback(local.String()) && !isLoopback(r.Host) {
			return false
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return false
	}
	jsonOK, streamOK := accepts(r.Header.Values("Accept"))
	return jsonOK && streamOK
}

// standardHeadersMatch reports whether a 2026-07-28 tools/call carries
// exactly one Mcp-Method (tools/call) and one Mcp-Name (the tool's name),
// as the SDK requires (else -32020, which the SDK answers).
func standardHeadersMatch(h http.Header, tool string) bool {
	method, name := h.Values("Mcp-Method"), h.Values("Mcp-Name")
	return len(method) == 1 && method[0] == "tools/call" && len(name) == 1 && name[0] == tool
}

// accepts reports whether Accept admits application/json and
// text/event-stream, as the streamable HTTP transport requires of a POST.
func accepts(values []string) (jsonOK, streamOK bool) {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			base, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "application/json", "application/*":
				jsonOK = true
			case "text/event-stream", "text/*":
				streamOK = true
			case "*/*":
				jsonOK, streamOK = true, true
			}
		}
	}
	return jsonOK, streamOK
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.Trim(addr, "[]")
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
