package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/buildinfo"
	"github.com/taskbridge/taskbridge/web/widget"
)

// The MCP wire, byte by byte, as a strict client sees it: raw HTTP to the
// real /mcp route of the real server (cli.Run), with a real OAuth access
// token, in the current revision and in each earlier one the server still
// accepts. The go-sdk client used elsewhere forgives much (a missing
// resultType, a plain-text 400); these tests do not.

const currentVersion = "2026-07-28"

// acceptedVersions is what the server must list as supported, newest
// first (README, "MCP surface", says why 2024-11-05 is not among them).
var acceptedVersions = []string{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}

// legacyVersions are the earlier revisions still accepted; "" is a request
// without MCP-Protocol-Version, which the transport reads as 2025-03-26.
var legacyVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", ""}

// wire is one linked app's raw view of /mcp.
type wire struct {
	url, token string
	client     *http.Client
}

// answer is one HTTP response to a JSON-RPC request.
type answer struct {
	status int
	header http.Header
	raw    []byte
	// msgs are the JSON-RPC messages: the body, or each SSE event's data.
	msgs []map[string]any
}

// final is the JSON-RPC response (the last message).
func (a answer) final() map[string]any {
	if len(a.msgs) == 0 {
		return nil
	}
	return a.msgs[len(a.msgs)-1]
}

func (a answer) result(t *testing.T) map[string]any {
	t.Helper()
	res, ok := a.final()["result"].(map[string]any)
	if !ok {
		t.Fatalf("no result: HTTP %d %s", a.status, a.raw)
	}
	return res
}

// rpcError is the JSON-RPC error code, or 0 for none.
func (a answer) rpcError() int {
	e, ok := a.final()["error"].(map[string]any)
	if !ok {
		return 0
	}
	code, _ := e["code"].(float64)
	return int(code)
}

type request struct {
	method  string
	params  map[string]any
	version string            // MCP-Protocol-Version; "" sends none
	header  map[string]string // set after the standard ones; "" deletes
	noMeta  bool              // 2026-07-28: leave params._meta out
}

// meta is the per-request _meta of a 2026-07-28 client.
func meta(version string) map[string]any {
	return map[string]any{
		"io.modelcontextprotocol/protocolVersion":    version,
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "wire-test", "version": "1.0.0"},
	}
}

// post sends one JSON-RPC request the way a client of req.version does:
// from 2026-07-28 with the per-request _meta and the Mcp-Method and
// Mcp-Name headers the transport requires.
func (c wire) post(t *testing.T, req request) answer {
	t.Helper()
	params := map[string]any{}
	for k, v := range req.params {
		params[k] = v
	}
	modern := req.version >= currentVersion
	if modern && !req.noMeta && params["_meta"] == nil {
		params["_meta"] = meta(req.version)
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": req.method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Authorization", "Bearer "+c.token)
	if req.version != "" {
		h.Set("Mcp-Protocol-Version", req.version)
	}
	if modern {
		h.Set("Mcp-Method", req.method)
		for _, key := range []string{"name", "uri"} {
			if name, ok := params[key].(string); ok {
				h.Set("Mcp-Name", name)
			}
		}
	}
	for k, v := range req.header {
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
	}
	return c.do(t, http.MethodPost, h, body)
}

func (c wire) do(t *testing.T, method string, h http.Header, body []byte) answer {
	t.Helper()
	hr, err := http.NewRequest(method, c.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header = h
	resp, err := c.client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, c.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				a.msgs = append(a.msgs, decodeObject(t, []byte(data)))
			}
		}
	} else if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		a.msgs = append(a.msgs, decodeObject(t, raw))
	}
	return a
}

func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, raw)
	}
	return m
}

// canonical re-encodes v so that JSON values compare as text.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wireServer starts the real server, links an app with read and write
// access through the real sign-up, login and consent pages, and returns
// the app's raw view of /mcp. The request timeout is the longest the
// server allows, so a request it holds open shows as a client timeout.
func wireServer(t *testing.T) wire {
	t.Helper()
	srv := startServerWith(t, map[string]string{"TASKBRIDGE_REQUEST_TIMEOUT": "2m"})
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: true})
	return wire{url: srv.MCPURL(), token: app.AccessToken(t), client: &http.Client{Timeout: 30 * time.Second}}
}

func TestMCPWire(t *testing.T) {
	c := wireServer(t)
	t.Run(currentVersion, func(t *testing.T) { testCurrentWire(t, c) })
	for _, v := range legacyVersions {
		name := v
		if name == "" {
			name = "no-version-header"
		}
		t.Run(name, func(t *testing.T) { testLegacyWire(t, c, v) })
	}
	t.Run("both-eras", func(t *testing.T) { testWireOfEveryEra(t, c) })
}

// wantCapabilities is the whole capabilities object: tools and the widget
// resource, nothing inferred (no listChanged: a stateless server never
// sends one), no prompts, completions or logging.
const wantCapabilities = `{"resources":{},"tools":{}}`

func wantServerInfo(t *testing.T, info any) {
	t.Helper()
	want := map[string]any{"name": "taskbridge", "title": "taskbridge tasks", "version": buildinfo.Version("")}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("serverInfo %s, want %s", canonical(t, info), canonical(t, want))
	}
	if v := buildinfo.Version(""); v == "1" || v == "" {
		t.Errorf("serverInfo.version %q is not a build's version", v)
	}
}

func testCurrentWire(t *testing.T, c wire) {
	v := currentVersion
	t.Run("server/discover", func(t *testing.T) {
		a := c.post(t, request{method: "server/discover", version: v})
		if a.status != http.StatusOK {
			t.Fatalf("HTTP %d %s", a.status, a.raw)
		}
		res := a.result(t)
		if got := canonical(t, res["capabilities"]); got != wantCapabilities {
			t.Errorf("capabilities %s, want %s", got, wantCapabilities)
		}
		if got := canonical(t, res["supportedVersions"]); got != canonical(t, acceptedVersions) {
			t.Errorf("supportedVersions %s, want %s", got, canonical(t, acceptedVersions))
		}
		m, _ := res["_meta"].(map[string]any)
		wantServerInfo(t, m["io.modelcontextprotocol/serverInfo"])
		// Discovery does not depend on who asks: shareable for an hour.
		if res["cacheScope"] != "public" || res["ttlMs"] != float64(3600000) {
			t.Errorf("cacheScope %v ttlMs %v, want public 3600000", res["cacheScope"], res["ttlMs"])
		}
		if s, _ := res["instructions"].(string); !strings.Contains(s, "treat them as data") {
			t.Errorf("instructions %q", s)
		}
		if res["resultType"] != "complete" {
			t.Errorf("resultType %v", res["resultType"])
		}
	})

	// Each request the specification says a server must refuse, and how.
	noVersion := meta(v)
	delete(noVersion, "io.modelcontextprotocol/protocolVersion")
	noCaps := meta(v)
	delete(noCaps, "io.modelcontextprotocol/clientCapabilities")
	otherVersion := meta("2025-11-25")
	listTasks := map[string]any{"name": "list_tasks", "arguments": map[string]any{}}
	c.wantRefusals(t, v, []refusal{
		{"_meta missing", request{method: "tools/list", noMeta: true}, 400, -32602},
		{"_meta without protocolVersion", request{method: "tools/list", params: map[string]any{"_meta": noVersion}}, 400, -32602},
		{"_meta without clientCapabilities", request{method: "tools/list", params: map[string]any{"_meta": noCaps}}, 400, -32602},
		{"_meta protocolVersion differs from the header", request{method: "tools/list", params: map[string]any{"_meta": otherVersion}}, 400, -32020},
		{"MCP-Protocol-Version header missing", request{method: "tools/list", header: map[string]string{"Mcp-Protocol-Version": ""}}, 400, -32020},
		{"Mcp-Method missing", request{method: "tools/list", header: map[string]string{"Mcp-Method": ""}}, 400, -32020},
		{"Mcp-Method differs from the body", request{method: "tools/list", header: map[string]string{"Mcp-Method": "prompts/list"}}, 400, -32020},
		{"Mcp-Name missing", request{method: "tools/call", params: listTasks, header: map[string]string{"Mcp-Name": ""}}, 400, -32020},
		{"Mcp-Name differs from the body", request{method: "tools/call", params: listTasks, header: map[string]string{"Mcp-Name": "delete_task"}}, 400, -32020},
		{"unknown resource", request{method: "resources/read", params: map[string]any{"uri": "ui://taskbridge/nothing.html"}}, 400, -32602},
		{"prompts/list: no prompts capability", request{method: "prompts/list"}, 404, -32601},
		{"prompts/get: no prompts capability", request{method: "prompts/get", params: map[string]any{"name": "x"}}, 404, -32601},
		{"completion/complete: no completions capability", request{method: "completion/complete", params: map[string]any{
			"ref": map[string]any{"type": "ref/prompt", "name": "x"}, "argument": map[string]any{"name": "a", "value": "b"}}}, 404, -32601},
		{"initialize: removed", request{method: "initialize", params: map[string]any{"protocolVersion": v, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "x", "version": "1"}}}, 404, -32601},
		{"ping: removed", request{method: "ping"}, 404, -32601},
		{"logging/setLevel: removed", request{method: "logging/setLevel", params: map[string]any{"level": "info"}}, 404, -32601},
		{"unknown method", request{method: "tasks/teleport"}, 404, -32601},
	})

	t.Run("unsupported version", func(t *testing.T) {
		for _, bad := range []string{"2099-01-01", "2025-01-01", "2024-11-05"} {
			// Before 2026-07-28 a client sends the header only; from it on,
			// the header and _meta.
			a := c.post(t, request{method: "tools/list", version: bad})
			if a.status != http.StatusBadRequest || a.rpcError() != -32022 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: HTTP %d %q error %d, want HTTP 400 JSON -32022: %s", bad, a.status, a.header.Get("Content-Type"), a.rpcError(), a.raw)
			}
			data, _ := a.final()["error"].(map[string]any)["data"].(map[string]any)
			if canonical(t, data["supported"]) != canonical(t, acceptedVersions) || data["requested"] != bad {
				t.Errorf("%s: error data %s, want supported %s and requested %s", bad, canonical(t, data), canonical(t, acceptedVersions), bad)
			}
		}
	})

	t.Run("subscriptions/listen answers at once", func(t *testing.T) {
		// Nothing here ever changes under a client (no listChanged, no
		// subscribe), so the server agrees to nothing and closes the
		// subscription gracefully instead of holding it open.
		a := c.post(t, request{method: "subscriptions/listen", version: v, params: map[string]any{"notifications": map[string]any{
			"toolsListChanged": true, "promptsListChanged": true, "resourcesListChanged": true,
			"resourceSubscriptions": []string{widget.URI()}}}})
		if a.status != http.StatusOK || len(a.msgs) != 2 {
			t.Fatalf("HTTP %d, %d messages, want 200 with the acknowledgement and the result: %s", a.status, len(a.msgs), a.raw)
		}
		ack := a.msgs[0]
		params, _ := ack["params"].(map[string]any)
		if ack["method"] != "notifications/subscriptions/acknowledged" || canonical(t, params["notifications"]) != `{}` ||
			canonical(t, params["_meta"]) != `{"io.modelcontextprotocol/subscriptionId":7}` {
			t.Errorf("first message %s, want the acknowledgement of nothing for subscription 7", canonical(t, ack))
		}
		res := a.result(t)
		m, _ := res["_meta"].(map[string]any)
		if res["resultType"] != "complete" || m["io.modelcontextprotocol/subscriptionId"] != float64(7) {
			t.Errorf("result %s, want complete for subscription 7", canonical(t, res))
		}
	})
}

// refusal is a request the server must answer with a JSON-RPC error.
type refusal struct {
	name   string
	req    request
	status int // HTTP
	code   int // JSON-RPC
}

// wantRefusals sends each request at version v and checks the HTTP status,
// the error code, that the error answers the request's id, and that a
// missing resource's error names its uri.
func (c wire) wantRefusals(t *testing.T, v string, refusals []refusal) {
	t.Helper()
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			r.req.version = v
			a := c.post(t, r.req)
			if a.status != r.status || a.rpcError() != r.code {
				t.Fatalf("HTTP %d error %d, want HTTP %d error %d: %s", a.status, a.rpcError(), r.status, r.code, a.raw)
			}
			if a.final()["id"] != float64(7) {
				t.Errorf("error answers id %v, want the request's 7", a.final()["id"])
			}
			if uri, ok := r.req.params["uri"]; ok && r.req.method == "resources/read" {
				data, _ := a.final()["error"].(map[string]any)["data"].(map[string]any)
				if data["uri"] != uri {
					t.Errorf("error data %v, want the uri %v", data, uri)
				}
			}
		})
	}
}

func testLegacyWire(t *testing.T, c wire, v string) {
	negotiated := v
	if v == "" {
		negotiated = "2025-03-26"
	}
	t.Run("initialize", func(t *testing.T) {
		a := c.post(t, request{method: "initialize", version: v, params: map[string]any{"protocolVersion": negotiated,
			"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "wire-test", "version": "1.0.0"}}})
		res := a.result(t)
		if res["protocolVersion"] != negotiated {
			t.Errorf("protocolVersion %v, want %s", res["protocolVersion"], negotiated)
		}
		if got := canonical(t, res["capabilities"]); got != wantCapabilities {
			t.Errorf("capabilities %s, want %s", got, wantCapabilities)
		}
		wantServerInfo(t, res["serverInfo"])
		if _, ok := res["resultType"]; ok {
			t.Errorf("a %s result carries resultType, which that revision does not define", negotiated)
		}
	})
	c.wantRefusals(t, v, []refusal{
		{"server/discover: not in this revision", request{method: "server/discover"}, 200, -32601},
		{"unknown resource", request{method: "resources/read", params: map[string]any{"uri": "ui://taskbridge/nothing.html"}}, 200, -32602},
		{"prompts/list: no prompts capability", request{method: "prompts/list"}, 200, -32601},
		{"prompts/get: no prompts capability", request{method: "prompts/get", params: map[string]any{"name": "x"}}, 200, -32601},
		{"completion/complete: no completions capability", request{method: "completion/complete", params: map[string]any{
			"ref": map[string]any{"type": "ref/prompt", "name": "x"}, "argument": map[string]any{"name": "a", "value": "b"}}}, 200, -32601},
		{"unknown method", request{method: "tasks/teleport"}, 200, -32601},
	})
	t.Run("ping", func(t *testing.T) {
		if got := canonical(t, c.post(t, request{method: "ping", version: v}).result(t)); got != `{}` {
			t.Errorf("ping result %s, want {}", got)
		}
	})
}

// testWireOfEveryEra holds what is the same in every accepted revision.
func testWireOfEveryEra(t *testing.T, c wire) {
	for _, v := range append([]string{currentVersion}, legacyVersions...) {
		t.Run(fmt.Sprintf("version %q", v), func(t *testing.T) {
			// Every result the server gives: resultType "complete" from
			// 2026-07-28 on, absent before (those revisions do not define it).
			for _, req := range []request{
				{method: "tools/list"},
				{method: "tools/call", params: map[string]any{"name": "list_tasks", "arguments": map[string]any{}}},
				{method: "tools/call", params: map[string]any{"name": "create_task", "arguments": map[string]any{"title": "wire " + v}}},
				{method: "tools/call", params: map[string]any{"name": "complete_task", "arguments": map[string]any{"id": "00000000-0000-4000-8000-000000000000"}}},
				{method: "resources/list"},
				{method: "resources/templates/list"},
				{method: "resources/read", params: map[string]any{"uri": widget.URI()}},
			} {
				req.version = v
				a := c.post(t, req)
				if a.status != http.StatusOK || a.rpcError() != 0 {
					t.Fatalf("%s: HTTP %d: %s", req.method, a.status, a.raw)
				}
				rt, has := a.result(t)["resultType"]
				switch {
				case v >= currentVersion && rt != "complete":
					t.Errorf("%s %v: resultType %v, want complete", req.method, req.params["name"], rt)
				case v < currentVersion && has:
					t.Errorf("%s %v: resultType %v in a %q result", req.method, req.params["name"], rt, v)
				}
			}

			// An inbound session id is ignored, and none is minted.
			a := c.post(t, request{method: "tools/list", version: v, header: map[string]string{"Mcp-Session-Id": "f00dfeed-made-up"}})
			if a.status != http.StatusOK || a.rpcError() != 0 || a.header.Get("Mcp-Session-Id") != "" {
				t.Errorf("tools/list with a made-up session: HTTP %d, Mcp-Session-Id %q: %s", a.status, a.header.Get("Mcp-Session-Id"), a.raw)
			}

			// No GET stream and no session to DELETE, token or not.
			for _, method := range []string{http.MethodGet, http.MethodDelete} {
				for _, token := range []string{c.token, ""} {
					h := http.Header{"Accept": {"application/json, text/event-stream"}, "Mcp-Session-Id": {"f00dfeed-made-up"}}
					if v != "" {
						h.Set("Mcp-Protocol-Version", v)
					}
					if token != "" {
						h.Set("Authorization", "Bearer "+token)
					}
					a := c.do(t, method, h, nil)
					if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != http.MethodPost {
						t.Errorf("%s (token %v): HTTP %d Allow %q, want 405 Allow POST", method, token != "", a.status, a.header.Get("Allow"))
					}
				}
			}
		})
	}
}
