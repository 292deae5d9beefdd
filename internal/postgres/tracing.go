package postgres

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// startTxSpan starts the span of one transaction, a child of ctx's span
// (the tool call's or the HTTP request's). It names the kind of
// transaction only (user, user_pipeline, system): never the user, a
// statement or its arguments. end records whether it committed.
func (db *DB) startTxSpan(ctx context.Context, kind string) (context.Context, func(error)) {
	ctx, span := db.tracer.Start(ctx, "db.transaction "+kind, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("taskbridge.db.transaction", kind)))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, "rolled back")
		}
		span.End()
	}
}
