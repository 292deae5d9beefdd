package logging

import "context"

// requestIDContextKey is unexported so only this package can set or read
// the correlation id in a context.
type requestIDContextKey struct{}

// RequestIDKey is the attribute under which the handler writes the
// correlation id of the request a line was logged for (L2).
const RequestIDKey = "request_id"

// WithRequestID returns ctx carrying the request's correlation id. Every
// line logged with that context (logger.InfoContext and friends) carries it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey{}, id)
}

// RequestID returns the correlation id in ctx, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDContextKey{}).(string)
	return id
}
