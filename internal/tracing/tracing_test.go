package tracing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/tracing"
)

// receiver is an OTLP/HTTP trace receiver on loopback: it keeps every span
// exported to it, with its resource's attributes.
type receiver struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	for _, rs := range req.ResourceSpans {
		rc.resource = append(rc.resource, rs.GetResource().GetAttributes()...)
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

var listening = regexp.MustCompile(`listening on (\S+)`)

// serve runs `taskbridge serve` (the MCP test fixture user stands in for
// OAuth) with env and returns its address and a stop that waits for exit.
func serve(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stdout, stderr capture.Buffer
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"serve"}, Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr})
	}()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr.String())
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited before listening: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start listening\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	headerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	headerSpan  = "00f067aa0ba902b7"
	metaTrace   = "0af7651916cd43dd8448eb211c80319c"
	metaSpan    = "b7ad6b7169203331"
	sdkTrace    = "5c2a1d3e4f5061728394a5b6c7d8e9f0"
	sdkSpan     = "1a2b3c4d5e6f7081"
	title       = "Dentist appointment for Alice"
	notes       = "alice@example.com 555-0100"
)

func callTool(t *testing.T, addr, traceparent, meta string, header ...string) {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{` + meta +
		`"name":"create_task","arguments":{"title":"` + title + `","notes":"` + notes + `"}}}`
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	req.Header.Set("Traceparent", traceparent)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(out), title) {
		t.Fatalf("tools/call: %d %s", res.StatusCode, out)
	}
}

// TestSpansContinueTheCallersTraceAndCarryNoIdentifiers runs the real
// server with the OTLP exporter pointed at a receiver on loopback, makes
// one tool call carrying a traceparent header and one carrying
// _meta.traceparent too, stops the server (its graceful shutdown must
// flush the spans: the batch exporter's delay has not passed), and checks
// every exported span: the header's trace is continued as HTTP request >
// tool call > database transaction, the _meta trace takes precedence for
// its call, and no span name or attribute holds an identifier or user data.
func TestSpansContinueTheCallersTraceAndCarryNoIdentifiers(t *testing.T) {
	rc := &receiver{}
	otlp := httptest.NewServer(rc)
	defer otlp.Close()
	db := tdb.NewMigrated(t)
	keys, err := keyring.Generate("trace")
	if err != nil {
		t.Fatal(err)
	}
	otel := map[string]string{
		"OTEL_TRACES_EXPORTER":               "otlp",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": otlp.URL + "/v1/traces",
		"OTEL_BSP_SCHEDULE_DELAY":            "3600000", // only the shutdown flush exports
	}
	env := map[string]string{
		"TASKBRIDGE_ENV":              "test",
		"TASKBRIDGE_ADDR":             "127.0.0.1:0",
		"TASKBRIDGE_PUBLIC_URL":       "http://127.0.0.1:8080",
		"TASKBRIDGE_METRICS_ADDR":     "off",
		"DATABASE_URL":                db.AppURL,
		"TASKBRIDGE_ENCRYPTION_KEYS":  keys,
		"TASKBRIDGE_MCP_STATE_KEY":    base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"TASKBRIDGE_LOG_LEVEL":        "warn",
		"TASKBRIDGE_MCP_TEST_FIXTURE": "true",
	}
	for k, v := range otel {
		env[k] = v
		t.Setenv(k, v) // the SDK reads the process environment itself
	}
	addr, stop := serve(t, env)
	callTool(t, addr, "00-"+headerTrace+"-"+headerSpan+"-01", "")
	callTool(t, addr, "00-"+headerTrace+"-"+headerSpan+"-01",
		`"_meta":{"traceparent":"00-`+metaTrace+`-`+metaSpan+`-01"},`)
	// An Mcp-* header the direct path does not know leaves the call to the go-sdk's own
	// tools/call rather than the direct path (internal/mcpapi fastcall.go):
	// both paths must carry the trace.
	callTool(t, addr, "00-"+sdkTrace+"-"+sdkSpan+"-01", "", "Mcp-Unknown-Header", "1")
	stop()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	byID := map[string]*tracepb.Span{}
	for _, s := range rc.spans {
		byID[hex.EncodeToString(s.SpanId)] = s
	}
	// chain finds a database transaction in trace whose parent is a tool
	// call whose parent is parentWant (a span of ours, or the caller's).
	chain := func(trace, root string, viaHTTP bool) {
		t.Helper()
		for _, s := range rc.spans {
			if hex.EncodeToString(s.TraceId) != trace || !strings.HasPrefix(s.Name, "db.transaction") {
				continue
			}
			tool := byID[hex.EncodeToString(s.ParentSpanId)]
			if tool == nil || tool.Name != "tools/call create_task" {
				continue
			}
			parent := hex.EncodeToString(tool.ParentSpanId)
			if viaHTTP {
				http := byID[parent]
				if http == nil || http.Name != "POST /mcp" {
					continue
				}
				parent = hex.EncodeToString(http.ParentSpanId)
			}
			if parent == root {
				return
			}
		}
		t.Errorf("no span chain in trace %s from %s (through HTTP: %v); spans: %s", trace, root, viaHTTP, names(rc.spans))
	}
	chain(headerTrace, headerSpan, true)
	chain(metaTrace, metaSpan, false)
	chain(sdkTrace, sdkSpan, true)
	linked := false
	for _, s := range rc.spans {
		if hex.EncodeToString(s.TraceId) == metaTrace && strings.HasPrefix(s.Name, "tools/call") {
			for _, l := range s.Links {
				if http := byID[hex.EncodeToString(l.SpanId)]; http != nil && hex.EncodeToString(http.TraceId) == headerTrace && http.Name == "POST /mcp" {
					linked = true
				}
			}
		}
	}
	if !linked {
		t.Errorf("the _meta-traced tool call does not link the HTTP request's span")
	}

	allowed := map[string]bool{
		"http.request.method": true, "http.route": true, "http.response.status_code": true,
		"mcp.method.name": true, "gen_ai.tool.name": true, "mcp.protocol.version": true, "taskbridge.tool.outcome": true,
		"db.system.name": true, "taskbridge.db.transaction": true,
		"service.name": true, "telemetry.sdk.language": true, "telemetry.sdk.name": true, "telemetry.sdk.version": true,
	}
	fixture := mcpapi.FixturePrincipal()
	forbidden := []string{fixture.UserID.String(), fixture.ClientID, "fixture.invalid", "Alice", "alice", "555-0100", "127.0.0.1", addr}
	uuidLike := regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	check := func(where, text string) {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%s carries %q: %s", where, f, text)
			}
		}
		if uuidLike.MatchString(text) {
			t.Errorf("%s carries an id: %s", where, text)
		}
	}
	attrs := append([]*commonpb.KeyValue{}, rc.resource...)
	for _, s := range rc.spans {
		check("span name", s.Name)
		attrs = append(attrs, s.Attributes...)
		for _, e := range s.Events {
			check("event", e.Name)
			attrs = append(attrs, e.Attributes...)
		}
		check("span status", s.GetStatus().GetMessage())
	}
	for _, a := range attrs {
		if !allowed[a.Key] {
			t.Errorf("attribute %s is not on the list of identifier-free attributes", a.Key)
		}
		check("attribute "+a.Key, a.Key+"="+a.GetValue().String())
	}
}

func names(spans []*tracepb.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Name + " trace=" + hex.EncodeToString(s.TraceId) + " id=" + hex.EncodeToString(s.SpanId) + " parent=" + hex.EncodeToString(s.ParentSpanId) + "; ")
	}
	return b.String()
}

// TestTracingIsOffUnlessConfigured: with no OTEL_* variable there is no
// tracer provider (serve then installs no middleware and starts no span);
// an exporter taskbridge does not ship is refused rather than ignored.
func TestTracingIsOffUnlessConfigured(t *testing.T) {
	ctx := context.Background()
	for _, env := range []map[string]string{
		{},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"},
	} {
		tr, err := tracing.Setup(ctx, func(k string) string { return env[k] })
		if err != nil || tr.Provider != nil {
			t.Errorf("%v: provider %v, error %v; want tracing off", env, tr.Provider, err)
		}
	}
	if _, err := tracing.Setup(ctx, func(k string) string { return map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}[k] }); err == nil {
		t.Error("OTEL_TRACES_EXPORTER=zipkin accepted")
	}
}
