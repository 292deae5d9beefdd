package httpx

import (
	"context"
	"net/http"
	"time"
)

// MaxBody caps the request body (I8). A declared length over the cap is
// refused at once with 413; an undeclared one is cut off while reading,
// and the handler that reads it answers 413 (see IsTooLarge).
func MaxBody(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				WriteError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than this server accepts")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// IsTooLarge reports whether err came from reading past MaxBody's cap.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return err != nil && asMaxBytes(err, &mbe)
}

// Timeout bounds the work a request may cause: the context is cancelled
// after d, so database calls and tool handlers stop (I8). The server's write
// timeout is the backstop for a handler that ignores its context.
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
