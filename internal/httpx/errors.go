package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/taskbridge/taskbridge/internal/logging"
)

// ErrorBody is the JSON shape of every error this server writes itself.
// Messages are generic and written for the client; internals go to the log
// only (O2).
type ErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	RequestID   string `json:"request_id,omitempty"`
}

// WriteError writes a JSON error with the request's correlation id.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	WriteJSON(w, status, ErrorBody{Error: code, Description: description, RequestID: logging.RequestID(r.Context())})
}

// WantsHTML reports whether the request comes from a browser that will
// show the answer to a person: its Accept names text/html (a page) or an
// image type (the favicon), and not JSON. API clients (no Accept, */*,
// application/json) keep getting JSON errors.
func WantsHTML(r *http.Request) bool {
	accept := strings.ToLower(r.Header.Get("Accept"))
	if strings.Contains(accept, "application/json") {
		return false
	}
	return strings.Contains(accept, "text/html") || strings.Contains(accept, "image/")
}

// WriteJSON writes v as JSON with the given status. Responses are not
// cacheable unless a handler says otherwise (D8).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing useful to do
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
