package account

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
)

// Audit event types of this package (L4, L7).
const (
	eventSignup = "auth.signup"
	eventLogin  = "auth.login"
	eventLogout = "auth.logout"
)

// authEvent is an audit event for r: its correlation id and, when known,
// the account it concerns. Detail holds enum values only (L3).
func authEvent(r *http.Request, typ string, outcome audit.Outcome, actor uuid.UUID, detail map[string]any) audit.Event {
	return audit.Event{Type: typ, Outcome: outcome, ActorID: actor, RequestID: logging.RequestID(r.Context()), Detail: detail}
}
