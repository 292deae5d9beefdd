package mcpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/httpx"
)

// httpLayer wraps the go-sdk handler with the things the SDK does not do:
//
//  1. It refuses a request without an authenticated principal (401), in
//     case the handler is ever mounted without the bearer middleware.
//  2. Optionally (Deps.HTTPScopeChallenge), a tools/call naming a tool the
//     token cannot use is answered at the HTTP level with 403, a JSON error
//     body and WWW-Authenticate: Bearer error="insufficient_scope",
//     scope=..., resource_metadata=... (the MCP authorization spec's
//     step-up). The go-sdk client (v1.8) and the TypeScript
//     @modelcontextprotocol/client (v2) authorize again with the union of
//     the scopes, so the person sees the consent page. The TypeScript
//     @modelcontextprotocol/sdk (v1) refreshes its token instead when it
//     holds a refresh token, which cannot widen the scope, and fails on the
//     second 403. ChatGPT opens its re-link UI only for the in-band tool
//     error (scope.go) and shows a transport 403 as a failure. So it is
//     opt-in; the in-band form is always on.
//  3. It copies each tool's _meta.securitySchemes to a top-level
//     securitySchemes field in tools/list responses: the Apps SDK reads the
//     top-level field, which mcp.Tool cannot express.
//  4. It answers a single tools/call without the SDK's per-request session
//     when the request is the plain common case (fastcall.go).
//  5. It applies the batch rules and the per-app budget of tool calls
//     (limits.go) before any message runs.
//  6. It answers an earlier protocol version it does not speak, and an
//     unknown method in a legacy one, with the JSON-RPC error a client can
//     read (protocol.go).
func (s *service) httpLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := principalOf(r.Context(), auth.TokenInfoFromContext(r.Context()))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+s.ResourceMetadataURL+`"`)
			httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "authentication required")
			return
		}
		if r.Method != http.MethodPost || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
		if err != nil {
			httpx.WriteError(w, r, http.StatusBadRequest, "invalid_request", "could not read the request body")
			return
		}
		if len(body) > maxRequestBytes {
			httpx.WriteError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than this server accepts")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		calls, batch := peekRequests(body)
		if !refuseUnsupportedVersion(w, r, calls, batch) || !refuseUnknownLegacyMethod(w, r, calls, batch) { // protocol.go
			return
		}
		if !s.admitRequest(w, r, p, calls, batch) {
			return
		}
		if s.HTTPScopeChallenge {
			for _, c := range calls {
				if c.Method != "tools/call" {
					continue
				}
				if sp, known := s.specs[c.Params.Name]; known && !p.Has(sp.scope) {
					s.recordDenied(r.Context(), p, sp)
					w.Header().Set("WWW-Authenticate", s.challenge(sp))
					httpx.WriteError(w, r, http.StatusForbidden, "insufficient_scope", scopeDescription(sp))
					return
				}
			}
		}
		if !batch && len(calls) == 1 && calls[0].Method == "tools/call" {
			// One call: a database outage becomes 503 + Retry-After
			// (unavailable.go). A batch keeps per-call in-band errors, since
			// a 503 would hide calls in it that did succeed.
			ctx, flag := withUnavailableFlag(r.Context())
			uw := &unavailableWriter{ResponseWriter: w, req: r, flag: flag}
			r = r.WithContext(ctx)
			if s.serveToolCall(uw, r, body) { // fastcall.go
				return
			}
			next.ServeHTTP(uw, r)
			return
		}
		if !batch && len(calls) == 1 && calls[0].Method == "tools/list" {
			rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			rec.flushWithSecuritySchemes(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type peekedRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// peekRequests reads the JSON-RPC method (and tool name) of a request or
// of each message of a batch, and whether it is a batch. A batch message
// it cannot read is a zero entry, so the batch's length is still known;
// anything unparsable is left for the SDK to reject.
func peekRequests(body []byte) (calls []peekedRequest, batch bool) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var raws []json.RawMessage
		if json.Unmarshal(body, &raws) != nil {
			return nil, true
		}
		calls = make([]peekedRequest, len(raws))
		for i, raw := range raws {
			_ = json.Unmarshal(raw, &calls[i])
		}
		return calls, true
	}
	var one peekedRequest
	if json.Unmarshal(body, &one) != nil {
		return nil, false
	}
	return []peekedRequest{one}, false
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(code int)        { b.status = code }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferedResponse) flushWithSecuritySchemes(w http.ResponseWriter) {
	out := b.body.Bytes()
	if b.status == http.StatusOK {
		if rewritten, ok := liftSecuritySchemes(out); ok {
			out = rewritten
		}
	}
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(b.status)
	_, _ = w.Write(out)
}

// liftSecuritySchemes copies result.tools[i]._meta.securitySchemes to
// result.tools[i].securitySchemes in a JSON-RPC tools/list response.
func liftSecuritySchemes(resp []byte) ([]byte, bool) {
	var msg map[string]json.RawMessage
	if json.Unmarshal(resp, &msg) != nil || msg["result"] == nil {
		return nil, false
	}
	var result map[string]json.RawMessage
	if json.Unmarshal(msg["result"], &result) != nil || result["tools"] == nil {
		return nil, false
	}
	var tools []map[string]json.RawMessage
	if json.Unmarshal(result["tools"], &tools) != nil {
		return nil, false
	}
	for _, t := range tools {
		var meta map[string]json.RawMessage
		if t["_meta"] != nil && json.Unmarshal(t["_meta"], &meta) == nil && meta["securitySchemes"] != nil {
			t["securitySchemes"] = meta["securitySchemes"]
		}
	}
	var err error
	if result["tools"], err = json.Marshal(tools); err != nil {
		return nil, false
	}
	if msg["result"], err = json.Marshal(result); err != nil {
		return nil, false
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return nil, false
	}
	return append(out, '\n'), true
}
