package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/taskbridge/taskbridge/internal/logging"
)

// RequestIDHeader carries the correlation id in requests and responses (L2).
const RequestIDHeader = "X-Request-Id"

// RequestID accepts a sane incoming correlation id (8-64 characters of
// letters, digits, '.', '_', '-') or makes a new one, echoes it in the
// response and puts it in the context, where the logger picks it up for
// every line written about this request. An id that fails the check is
// replaced, not trusted: it would otherwise be a log-injection vector.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(logging.WithRequestID(r.Context(), id)))
	})
}

func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
