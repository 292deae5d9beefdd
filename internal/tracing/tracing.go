// Package tracing is taskbridge's OpenTelemetry tracing: spans for each HTTP
// request (HTTP), tool call (internal/mcpapi) and database transaction
// (internal/postgres), continuing the caller's W3C trace context, exported
// over OTLP/HTTP only when the operator configures an exporter.
//
// Spans carry no user data and no identifiers: span names and attributes
// are fixed strings, route patterns, tool names, outcomes and status codes,
// never a path, an id, an address or anything a caller typed (D10).
package tracing

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of every taskbridge span.
const Name = "taskbridge"

// Propagator reads the W3C traceparent and tracestate.
var propagator = propagation.TraceContext{}

// Tracing is the configured tracer provider. Provider is nil when no
// exporter is configured: callers then install no middleware and start no
// spans, so tracing costs nothing.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Setup builds the tracer provider from the standard OpenTelemetry
// variables. Tracing is off unless OTEL_TRACES_EXPORTER=otlp, or it is unset
// and OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set; OTEL_SDK_DISABLED=true turns it off. The decision reads getenv; the
// SDK itself reads the rest (endpoint, headers, timeout, sampler, service
// name, batch sizes) from the process environment.
func Setup(ctx context.Context, getenv func(string) string) (*Tracing, error) {
	on, err := enabled(getenv)
	if err != nil || !on {
		return &Tracing{}, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// The service name defaults to taskbridge; OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES (WithFromEnv, applied last) override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("taskbridge")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based,
	// always on), the batch limits from OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}, nil
}

func enabled(getenv func(string) string) (bool, error) {
	if getenv("OTEL_SDK_DISABLED") == "true" {
		return false, nil
	}
	switch v := getenv("OTEL_TRACES_EXPORTER"); v {
	case "otlp":
		return true, nil
	case "none":
		return false, nil
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
	default:
		return false, errors.New("OTEL_TRACES_EXPORTER: taskbridge supports otlp or none, got " + fmt.Sprintf("%q", v))
	}
}

// FromMeta returns ctx continuing the trace of an MCP request's
// _meta.traceparent (and _meta.tracestate) and true, or ctx unchanged and
// false when it has no valid one: the request's own context (the HTTP
// header's) then stands.
func FromMeta(ctx context.Context, meta map[string]any) (context.Context, bool) {
	tp, _ := meta["traceparent"].(string)
	if tp == "" {
		return ctx, false
	}
	ts, _ := meta["tracestate"].(string)
	carrier := propagation.MapCarrier{"traceparent": tp, "tracestate": ts}
	sc := trace.SpanContextFromContext(propagator.Extract(context.Background(), carrier))
	if !sc.IsValid() {
		return ctx, false
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc), true
}
