// Package audit records who did what, to whose data, with what outcome (L4),
// in the same transaction as the action itself, so an action and its record
// commit or roll back together. A Sealer later links the committed events
// into a keyed hash chain with signed checkpoints, and Verify recomputes it
// (L5); see the 0005 migration and sealer.go for the design.
package audit

import (
	"github.com/google/uuid"
)

// Outcome is how an audited action ended.
type Outcome string

const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure" // bad input or a failed check by the caller
	OutcomeDenied  Outcome = "denied"  // refused for lack of authority
	OutcomeError   Outcome = "error"   // the server failed
	OutcomeFlagged Outcome = "flagged" // allowed, but marked for review (I3)
)

// Event is one audit record. Detail must hold no free text a user wrote and
// no secret: counts, ids, enum values and field names only (L3).
type Event struct {
	Type      string // dotted name, e.g. "tool.call", "auth.login"
	Outcome   Outcome
	ActorID   uuid.UUID // the acting user; uuid.Nil when unknown. Stored only as a keyed pseudonym (Log.Subject)
	ClientID  string
	RequestID string
	Detail    map[string]any
}
