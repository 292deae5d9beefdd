package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Protocol versions a Caller speaks. The server is stateless, so there is
// no initialize round trip: a legacy request names its version in the
// Mcp-Protocol-Version header only; a current one (SEP-2575) also carries
// it, the client's capabilities and info in the request's _meta, and the
// Mcp-Method and Mcp-Name headers.
const (
	LegacyProtocol  = "2025-06-18"
	CurrentProtocol = "2026-07-28"
)

// currentMeta is the per-request _meta of a CurrentProtocol call, encoded
// once: the load generator shares the CPU with the server it measures.
var currentMeta = json.RawMessage(`{"io.modelcontextprotocol/protocolVersion":"` + CurrentProtocol + `",` +
	`"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"taskbridge-bench","version":"1"}}`)

// maxResponseBytes bounds what one answer may make the client buffer.
const maxResponseBytes = 4 << 20

// CallError is a failed call, with the kind the report counts it under.
type CallError struct {
	Kind   string // http_<status>, rpc_error, tool_error, transport, decode
	Status int    // HTTP status, 0 when no response arrived
	Detail string
	// RetryAfter is the server's Retry-After header on a 503.
	RetryAfter string
}

func (e *CallError) Error() string { return e.Kind + ": " + e.Detail }

// Caller sends tools/call requests to one MCP endpoint with one bearer
// token.
type Caller struct {
	URL    string
	Token  string
	Client *http.Client
	// Protocol is LegacyProtocol (the default) or CurrentProtocol.
	Protocol string
	nextID   int64
}

type rpcRequest struct {
	JSONRPC string     `json:"jsonrpc"`
	ID      int64      `json:"id"`
	Method  string     `json:"method"`
	Params  callParams `json:"params"`
}

type callParams struct {
	Name      string          `json:"name"`
	Arguments any             `json:"arguments"`
	Meta      json.RawMessage `json:"_meta,omitempty"`
}

type rpcResponse struct {
	Result *struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		Content           []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Call invokes tool with args and returns the result's structuredContent.
func (c *Caller) Call(ctx context.Context, tool string, args any) (json.RawMessage, error) {
	return c.call(ctx, tool, args, true)
}

// Check invokes tool and reports only whether it succeeded. It does not
// decode the answer (a list result is tens of KiB of JSON), so the load
// generator spends little of the CPU it shares with the server: a JSON-RPC
// error or a tool error is recognised by its top-level key, which cannot
// occur unescaped inside a JSON string.
func (c *Caller) Check(ctx context.Context, tool string, args any) error {
	_, err := c.call(ctx, tool, args, false)
	return err
}

// CallRaw is Check that also returns the whole JSON-RPC response body of a
// successful call, undecoded.
func (c *Caller) CallRaw(ctx context.Context, tool string, args any) ([]byte, error) {
	return c.call(ctx, tool, args, false)
}

var (
	isErrorKey = []byte(`"isError":true`)
	errorKey   = []byte(`"error":`)
)

func (c *Caller) call(ctx context.Context, tool string, args any, decode bool) (json.RawMessage, error) {
	c.nextID++
	protocol := c.Protocol
	if protocol == "" {
		protocol = LegacyProtocol
	}
	params := callParams{Name: tool, Arguments: args}
	if protocol >= CurrentProtocol {
		params.Meta = currentMeta
	}
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", ID: c.nextID, Method: "tools/call", Params: params})
	if err != nil {
		return nil, &CallError{Kind: "encode", Detail: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, &CallError{Kind: "transport", Detail: err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Mcp-Protocol-Version", protocol)
	if protocol >= CurrentProtocol {
		h.Set("Mcp-Method", "tools/call")
		h.Set("Mcp-Name", tool)
	}
	h.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.Client.Do(req)
	if err != nil {
		return nil, &CallError{Kind: "transport", Detail: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, &CallError{Kind: "transport", Status: resp.StatusCode, Detail: err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &CallError{Kind: "http_" + strconv.Itoa(resp.StatusCode), Status: resp.StatusCode,
			Detail: truncate(string(raw), 200), RetryAfter: resp.Header.Get("Retry-After")}
	}
	if !decode {
		head := raw[:min(len(raw), 64)]
		if !bytes.Contains(raw, isErrorKey) && !bytes.Contains(head, errorKey) && len(raw) > 0 {
			return raw, nil
		}
	}
	var out rpcResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, &CallError{Kind: "decode", Status: resp.StatusCode, Detail: err.Error()}
	}
	switch {
	case out.Error != nil:
		return nil, &CallError{Kind: "rpc_error", Status: resp.StatusCode, Detail: fmt.Sprintf("%d %s", out.Error.Code, out.Error.Message)}
	case out.Result == nil:
		return nil, &CallError{Kind: "decode", Status: resp.StatusCode, Detail: "no result"}
	case out.Result.IsError:
		msg := ""
		if len(out.Result.Content) > 0 {
			msg = out.Result.Content[0].Text
		}
		return nil, &CallError{Kind: "tool_error", Status: resp.StatusCode, Detail: truncate(msg, 200)}
	}
	return out.Result.StructuredContent, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Kind returns the report kind of err.
func Kind(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return "other"
}
