package mcpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The direct path's decoding and encoding of one tools/call (fastcall.go).

// decodeToolCall decodes one JSON-RPC tools/call request of protocol
// version. Member names are matched exactly (encoding/json would also
// accept "Method" for "method"), and any member this path does not
// interpret makes it decline. metaFits judges the request's _meta (raw,
// and decoded), which may be absent.
func decodeToolCall(body []byte, version string, metaFits func(version string, raw []byte, meta map[string]any) bool) (id any, params *mcp.CallToolParamsRaw, ok bool) {
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
	var rawMeta []byte
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
			// A progress token asks for notifications: the SDK's.
			if _, has := meta["progressToken"]; has {
				return nil, nil, false
			}
			params.Meta, rawMeta = meta, v
		default:
			return nil, nil, false
		}
	}
	if params.Name == "" || !metaFits(version, rawMeta, params.Meta) {
		return nil, nil, false
	}
	return id, params, true
}

// metaVerdicts remembers requestMetaFits's verdict on a raw _meta: a
// client sends the same per-request metadata with every call, and judging
// it costs a few encodings. Bounded in entries (when full it starts again)
// and in the size of each (a larger _meta is judged every time), so a
// caller cannot make it hold more than maxMetaVerdicts * maxMetaVerdictKey
// bytes. It holds what clients declare about themselves (versions,
// capabilities), nothing about a user.
type metaVerdicts struct {
	mu sync.Mutex
	m  map[string]bool
}

const (
	maxMetaVerdicts   = 1024
	maxMetaVerdictKey = 2048
)

func (c *metaVerdicts) fits(version string, raw []byte, meta map[string]any) bool {
	if version != currentProtocol || len(raw) > maxMetaVerdictKey {
		return requestMetaFits(meta, version)
	}
	c.mu.Lock()
	ok, known := c.m[string(raw)]
	c.mu.Unlock()
	if known {
		return ok
	}
	ok = requestMetaFits(meta, version)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMetaVerdicts {
		c.m = make(map[string]bool, maxMetaVerdicts)
	}
	c.m[string(raw)] = ok
	c.mu.Unlock()
	return ok
}

// requestMetaFits reports whether a call's _meta is what its protocol
// version requires, in a form the SDK would accept too. In 2026-07-28 the
// protocol version (equal to the header's) and the client's capabilities
// are required and the client's info optional (SEP-2575); a legacy request
// carries none of them (a per-request version there asks for checks the
// SDK makes). Anything doubtful declines.
func requestMetaFits(meta map[string]any, version string) bool {
	pv, hasVersion := meta[mcp.MetaKeyProtocolVersion]
	if version != currentProtocol {
		return !hasVersion
	}
	if pv != currentProtocol {
		return false
	}
	caps, ok := meta[mcp.MetaKeyClientCapabilities].(map[string]any)
	if !ok || !decodesAs[mcp.ClientCapabilities](caps) {
		return false
	}
	if info, has := meta[mcp.MetaKeyClientInfo]; has {
		obj, ok := info.(map[string]any)
		if !ok || !decodesAs[mcp.Implementation](obj) {
			return false
		}
	}
	return true
}

// decodesAs reports whether v, an object, decodes into a T with every
// member known to T by its exact name (one that survives the round trip):
// stricter than the SDK's decoding, so what passes here passes there.
func decodesAs[T any](v map[string]any) bool {
	raw, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var into T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&into) != nil {
		return false
	}
	back, err := json.Marshal(into)
	if err != nil {
		return false
	}
	var round map[string]any
	if json.Unmarshal(back, &round) != nil {
		return false
	}
	for k := range v {
		if _, kept := round[k]; !kept {
			return false
		}
	}
	return true
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

// appendResponse appends the JSON-RPC response to a tools/call: the
// middleware chain's result or error, encoded as the SDK encodes it for
// the request's era (current: 2026-07-28), with the HTTP status to send.
// err is the encoding's own failure.
func (s *service) appendResponse(buf []byte, id any, res mcp.Result, callErr error, current bool) (_ []byte, status int, err error) {
	idJSON, err := json.Marshal(id)
	if err != nil {
		return nil, 0, err
	}
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, idJSON...)
	if callErr != nil {
		return s.appendError(buf, callErr, current)
	}
	buf = append(buf, `,"result":`...)
	tr, ok := res.(*mcp.CallToolResult)
	switch {
	case !ok || tr == nil:
		// A middleware answered with something else: as the SDK would.
		result, err := json.Marshal(res)
		if err != nil {
			return nil, 0, err
		}
		buf = append(buf, result...)
	case tr.InputRequests != nil || tr.RequestState != "":
		// Multi-round results, which no tool here returns: the SDK's rules
		// and encoding.
		if buf, err = appendMultiRoundResult(buf, tr, current); err != nil {
			return nil, 0, err
		}
	default:
		if buf, err = s.appendToolResult(buf, tr, current); err != nil {
			return nil, 0, err
		}
	}
	return append(buf, '}'), http.StatusOK, nil
}

var errContentAndInput = &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
	Message: "server bug: result has both content and inputRequests"}

func appendMultiRoundResult(buf []byte, tr *mcp.CallToolResult, current bool) ([]byte, error) {
	result, err := json.Marshal(tr)
	if err != nil {
		return nil, err
	}
	if current && tr.InputRequests != nil {
		if len(tr.Content) > 0 || tr.StructuredContent != nil {
			return nil, errContentAndInput
		}
		result = append(result[:len(result)-1], `,"resultType":"input_required"}`...)
	}
	return append(buf, result...), nil
}

// appendToolResult appends a tool result. Each part is encoded once;
// structuredContent from addTool is already JSON.
func (s *service) appendToolResult(buf []byte, res *mcp.CallToolResult, current bool) ([]byte, error) {
	buf = append(buf, '{')
	// In 2026-07-28, serverInfo goes in every result's _meta (SEP-2575),
	// unless the result names its own, as the SDK adds it.
	_, hasInfo := res.Meta[mcp.MetaKeyServerInfo]
	addInfo := current && !hasInfo
	if len(res.Meta) > 0 || addInfo {
		var err error
		buf = append(buf, `"_meta":`...)
		if b, ok := res.Meta[boardMetaKey].(board); ok && len(res.Meta) == 1 {
			// The widget's board, the largest part of a list's answer.
			buf = append(buf, `{"`+boardMetaKey+`":`...)
			buf = b.appendJSON(buf)
			if addInfo {
				buf = append(buf, ',')
			}
		} else if len(res.Meta) == 0 {
			buf = append(buf, '{')
		} else {
			if buf, err = appendJSON(buf, res.Meta); err != nil {
				return nil, err
			}
			buf = buf[:len(buf)-1] // reopen the object
			if addInfo {
				buf = append(buf, ',')
			}
		}
		if addInfo {
			buf = append(buf, `"`+mcp.MetaKeyServerInfo+`":`...)
			buf = append(buf, s.implJSON...)
		}
		buf = append(buf, "},"...)
	}
	buf = append(buf, `"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if tc, ok := c.(*mcp.TextContent); ok && tc.Meta == nil && tc.Annotations == nil {
			// The common item, written directly: through its MarshalJSON,
			// encoding/json would compact the escaped text a second time.
			buf = append(buf, `{"type":"text","text":`...)
			buf = appendJSONString(buf, tc.Text)
			buf = append(buf, '}')
			continue
		}
		if buf, err = appendJSON(buf, c); err != nil {
			return nil, err
		}
	}
	buf = append(buf, ']')
	if res.StructuredContent != nil {
		// addTool sets json.RawMessage straight from json.Marshal: valid
		// and compact, so it is copied as is (the SDK would compact it).
		sc, ok := res.StructuredContent.(json.RawMessage)
		if !ok {
			var err error
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
	if current {
		buf = append(buf, `,"resultType":"complete"`...)
	}
	return append(buf, '}'), nil
}

// appendError appends the JSON-RPC error a middleware (or the chain's
// end) returned, as the SDK's JSON-RPC layer encodes it: a *jsonrpc.Error
// as it is, any other error as its text with the code of a wrapped
// *jsonrpc.Error (else 0). In 2026-07-28 some codes set the HTTP status
// (SEP-2575).
func (s *service) appendError(buf []byte, callErr error, current bool) ([]byte, int, error) {
	wire := &jsonrpc.Error{Message: callErr.Error()}
	var jerr *jsonrpc.Error
	if errors.As(callErr, &jerr) {
		if jerr == callErr {
			wire = jerr
		} else {
			wire.Code = jerr.Code
		}
	}
	raw, err := json.Marshal(wire)
	if err != nil {
		return nil, 0, err
	}
	buf = append(buf, `,"error":`...)
	buf = append(buf, raw...)
	status := http.StatusOK
	if current {
		switch wire.Code {
		case jsonrpc.CodeMethodNotFound:
			status = http.StatusNotFound
		case jsonrpc.CodeInvalidParams, mcp.CodeUnsupportedProtocolVersion, mcp.CodeMissingRequiredClientCapabilities:
			status = http.StatusBadRequest
		}
	}
	return append(buf, '}'), status, nil
}

// appendJSON appends v encoded as json.Marshal encodes it, straight into
// buf: the results here are tens of KiB, and json.Marshal would allocate
// each part once more only to be copied.
func appendJSON(buf []byte, v any) ([]byte, error) {
	w := bytes.NewBuffer(buf)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return nil, err
	}
	out := w.Bytes()
	return out[:len(out)-1], nil // Encode ends the value with a newline
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
