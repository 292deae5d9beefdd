package mcpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// The direct tools/call path. A stateless tools/call through the go-sdk
// costs more server CPU than the database work it triggers (issue 7,
// docs/performance.md): the SDK builds and tears down a session per
// request, decodes the message with 32 KiB buffers, and encodes the result
// three times over as it nests it into the JSON-RPC response, compacting
// the whole payload at each level. The hot request, one tools/call in a
// protocol version this server speaks, is answered here instead: the body
// is decoded once, the same registered handler runs (addTool), and the
// result is encoded once.
//
// Anything else goes to the SDK, which remains the reference: a batch, a
// notification, another method, an unknown tool, a tool the token's scopes
// do not cover (the SDK path records the denial and returns the re-link
// challenge), a newer or unknown protocol version, a header this path does
// not interpret (Last-Event-ID, any Mcp-* header but Mcp-Protocol-Version),
// any params field but name, arguments and _meta, a progress token, or a
// body that is not exactly one well-formed JSON-RPC request. Declining is
// always safe; answering differently from the SDK is not, so
// TestDirectToolCallMatchesSDK and FuzzDirectToolCallMatchesSDK compare the
// two paths' answers.

// directVersions are the protocol versions whose tools/call this path
// answers: the ones the SDK negotiates that need no per-request metadata
// (2026-07-28 and later carry their own rules, SEP-2575). An absent header
// means 2025-03-26 to the SDK, and here.
var directVersions = map[string]bool{
	"": true, "2025-11-25": true, "2025-06-18": true, "2025-03-26": true, "2024-11-05": true,
}

// serveToolCall answers body, a tools/call already read by httpLayer, and
// reports true; or writes nothing and reports false, and the SDK answers.
func (s *service) serveToolCall(w http.ResponseWriter, r *http.Request, body []byte, p identity.Principal) bool {
	if s.sdkOnly || !directRequest(r) {
		return false
	}
	id, params, ok := decodeToolCall(body)
	if !ok {
		return false
	}
	sp, known := s.specs[params.Name]
	handler := s.tools[params.Name]
	if !known || handler == nil || !p.Has(sp.scope) {
		return false
	}
	if s.onDirectCall != nil {
		s.onDirectCall(params.Name)
	}
	req := &mcp.CallToolRequest{
		Params: params,
		Extra:  &mcp.RequestExtra{TokenInfo: auth.TokenInfoFromContext(r.Context()), Header: r.Header},
	}
	var (
		res *mcp.CallToolResult
		err error
	)
	if release, ok := s.admitCall(r.Context(), p, params.Name); ok { // limits.go
		res, err = handler(r.Context(), req)
		release()
	} else {
		res = rateLimitedResult()
	}
	var out []byte
	if err == nil {
		out, err = appendToolResponse(make([]byte, 0, 4096), id, res)
	}
	if err != nil {
		// Only a result that cannot be encoded gets here (addTool turns
		// every tool failure into a tool error). Like the SDK, answer with
		// a JSON-RPC error; unlike it, keep the detail in the log.
		s.Log.ErrorContext(r.Context(), "tool call: encode the result", "tool", params.Name, "error", err)
		out = appendInternalError(make([]byte, 0, 128), id)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return true
}

// directRequest checks the HTTP side of the request the way the SDK's
// stateless handler does, and declines where the SDK would refuse: the SDK
// then writes its own refusal.
func directRequest(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if !directVersions[r.Header.Get("Mcp-Protocol-Version")] {
		return false
	}
	for k := range r.Header {
		if k == "Last-Event-Id" || (strings.HasPrefix(k, "Mcp-") && k != "Mcp-Protocol-Version") {
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

// decodeToolCall decodes one JSON-RPC tools/call request. Member names are
// matched exactly (encoding/json would also accept "Method" for "method"),
// and any member this path does not interpret makes it decline.
func decodeToolCall(body []byte) (id any, params *mcp.CallToolParamsRaw, ok bool) {
	var msg map[string]json.RawMessage
	if json.Unmarshal(body, &msg) != nil || len(msg) != 4 {
		return nil, nil, false
	}
	if string(msg["jsonrpc"]) != `"2.0"` || string(msg["method"]) != `"tools/call"` {
		return nil, nil, false
	}
	if id, ok = decodeID(msg["id"]); !ok {
		return nil, nil, false
	}
	var raw map[string]json.RawMessage
	if rawParams := bytes.TrimSpace(msg["params"]); len(rawParams) == 0 || rawParams[0] != '{' ||
		json.Unmarshal(rawParams, &raw) != nil {
		return nil, nil, false
	}
	params = &mcp.CallToolParamsRaw{}
	for k, v := range raw {
		switch k {
		case "name":
			if json.Unmarshal(v, &params.Name) != nil {
				return nil, nil, false
			}
		case "arguments":
			params.Arguments = v
		case "_meta":
			var meta map[string]any
			if json.Unmarshal(v, &meta) != nil || meta == nil {
				return nil, nil, false
			}
			// A progress token asks for notifications, and a per-request
			// protocol version for the newer protocol's checks: the SDK's.
			if _, has := meta["progressToken"]; has {
				return nil, nil, false
			}
			if _, has := meta[mcp.MetaKeyProtocolVersion]; has {
				return nil, nil, false
			}
			params.Meta = meta
		default:
			return nil, nil, false
		}
	}
	return id, params, params.Name != ""
}

// decodeID accepts the ids the SDK echoes unchanged: a string, or an
// integer that fits in int64.
func decodeID(raw json.RawMessage) (any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return s, true
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, false
	}
	return n, true
}

// appendToolResponse appends the JSON-RPC response carrying res. Each part
// is encoded once; structuredContent from addTool is already JSON.
func appendToolResponse(buf []byte, id any, res *mcp.CallToolResult) ([]byte, error) {
	idJSON, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, idJSON...)
	if res.InputRequests != nil || res.RequestState != "" {
		// Fields of the newer protocol, which no tool here returns: let the
		// SDK's own encoding write the result.
		result, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"result":`...)
		buf = append(buf, result...)
		return append(buf, '}'), nil
	}
	buf = append(buf, `,"result":{`...)
	if len(res.Meta) > 0 {
		meta, err := json.Marshal(res.Meta)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `"_meta":`...)
		buf = append(buf, meta...)
		buf = append(buf, ',')
	}
	buf = append(buf, `"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			buf = append(buf, ',')
		}
		if tc, ok := c.(*mcp.TextContent); ok && tc.Meta == nil && tc.Annotations == nil {
			// The common item, written directly: through its MarshalJSON,
			// encoding/json would compact the escaped text a second time.
			text, err := json.Marshal(tc.Text)
			if err != nil {
				return nil, err
			}
			buf = append(buf, `{"type":"text","text":`...)
			buf = append(buf, text...)
			buf = append(buf, '}')
			continue
		}
		item, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		buf = append(buf, item...)
	}
	buf = append(buf, ']')
	if res.StructuredContent != nil {
		// addTool sets json.RawMessage straight from json.Marshal: valid
		// and compact, so it is copied as is (the SDK would compact it).
		sc, ok := res.StructuredContent.(json.RawMessage)
		if !ok {
			if sc, err = json.Marshal(res.StructuredContent); err != nil {
				return nil, err
			}
		}
		buf = append(buf, `,"structuredContent":`...)
		buf = append(buf, sc...)
	}
	if res.IsError {
		buf = append(buf, `,"isError":true`...)
	}
	return append(buf, "}}"...), nil
}

func appendInternalError(buf []byte, id any) []byte {
	idJSON, err := json.Marshal(id)
	if err != nil {
		idJSON = []byte("null")
	}
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, idJSON...)
	return append(buf, `,"error":{"code":-32603,"message":"internal error"}}`...)
}
