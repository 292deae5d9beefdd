package httpx

import (
	"context"
	"net/http"
	"time"
)

// Healthz answers whether the process is up; it touches nothing else, so an
// orchestrator does not restart a replica because the database blinked.
func Healthz(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers whether this replica can serve: the database must answer
// within two seconds.
func Readyz(ping func(context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ping(ctx); err != nil {
			w.Header().Set("Retry-After", "1")
			WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
	}
}
