package oauth

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// protocolError is an OAuth error response: a code from the RFCs, a fixed
// description written for the client, and the HTTP status. Descriptions
// never carry internal details (O2).
type protocolError struct {
	Code        string
	Description string
	Status      int
}

func (e *protocolError) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(desc string) *protocolError {
	return &protocolError{"invalid_request", desc, http.StatusBadRequest}
}
func errInvalidGrant(desc string) *protocolError {
	return &protocolError{"invalid_grant", desc, http.StatusBadRequest}
}
func errInvalidScope(desc string) *protocolError {
	return &protocolError{"invalid_scope", desc, http.StatusBadRequest}
}
func errInvalidTarget() *protocolError {
	return &protocolError{"invalid_target", "resource must be this server's MCP endpoint", http.StatusBadRequest}
}

var errInvalidClient = &protocolError{"invalid_client", "client authentication failed", http.StatusUnauthorized}

// writeProtocolError writes an OAuth JSON error; any other error becomes a
// generic server_error and is logged by the caller.
func writeProtocolError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *protocolError
	switch {
	case errors.As(err, &pe):
	case postgres.IsUnavailable(err) || postgres.DeadlinePassed(r.Context(), err):
		// The database is down or saturated: a client should retry, not
		// give up as on a server bug (I8).
		w.Header().Set("Retry-After", "1")
		pe = &protocolError{"temporarily_unavailable", "the server cannot reach its database right now; retry shortly", http.StatusServiceUnavailable}
	default:
		pe = &protocolError{"server_error", "the server could not complete the request", http.StatusInternalServerError}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	httpx.WriteError(w, r, pe.Status, pe.Code, pe.Description)
}
