package mcpapi

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/taskbridge/taskbridge/internal/httpx"
)

// When the database is down or too busy (postgres.IsUnavailable), a tool
// call must not look like a refusal of its input (an in-band tool error the
// model would "fix" by changing its arguments) nor hang until the request
// timeout: the HTTP answer is 503 with Retry-After, which hosts and SDK
// clients retry, and nothing was acknowledged, so no write is lost.
//
// The tool handler runs inside the go-sdk, which writes the HTTP response;
// it marks the request through a flag in the context, and unavailableWriter
// turns the response the SDK is about to write into the 503. With
// JSONResponse the SDK writes only after the handler returned, so the flag
// is set by then.

// retryAfterSeconds is short: a restart or failover takes seconds.
const retryAfterSeconds = "1"

type unavailableKey struct{}

func withUnavailableFlag(ctx context.Context) (context.Context, *atomic.Bool) {
	f := new(atomic.Bool)
	return context.WithValue(ctx, unavailableKey{}, f), f
}

// markUnavailable records that this request failed because the database
// could not serve it. Outside httpLayer (a test calling a handler directly)
// it does nothing.
func markUnavailable(ctx context.Context) {
	if f, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// unavailableWriter replaces the SDK's response with 503 when the flag is
// set at the moment the response starts.
type unavailableWriter struct {
	http.ResponseWriter
	req      *http.Request // for the error's request id
	flag     *atomic.Bool
	started  bool
	replaced bool
}

func (u *unavailableWriter) WriteHeader(code int) {
	if u.started {
		return
	}
	u.started = true
	if u.flag.Load() {
		u.replaced = true
		h := u.ResponseWriter.Header()
		h.Del("Content-Length")
		h.Set("Cache-Control", "no-store")
		h.Set("Retry-After", retryAfterSeconds)
		httpx.WriteError(u.ResponseWriter, u.req, http.StatusServiceUnavailable, "temporarily_unavailable",
			"the service cannot reach its database right now; nothing was changed; retry shortly")
		return
	}
	u.ResponseWriter.WriteHeader(code)
}

func (u *unavailableWriter) Write(p []byte) (int, error) {
	if !u.started {
		u.WriteHeader(http.StatusOK)
	}
	if u.replaced {
		return len(p), nil // the SDK's body is dropped; the 503 body was written
	}
	return u.ResponseWriter.Write(p)
}

// Flush keeps streaming responses working through the wrapper.
func (u *unavailableWriter) Flush() {
	if f, ok := u.ResponseWriter.(http.Flusher); ok && !u.replaced {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (u *unavailableWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }
