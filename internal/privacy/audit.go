package privacy

import (
	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// AuditLog appends audit events and knows a user's pseudonyms, which is
// how an export finds the user's own events; *postgres.AuditLog implements it.
type AuditLog interface {
	postgres.AuditAppender
	// Subjects is the user's actor pseudonym under every audit key.
	Subjects(userID uuid.UUID) []string
}

// Audit event types this package writes (L4).
const (
	eventRetentionPass   = "retention.pass"
	eventExport          = "privacy.export"
	eventErase           = "privacy.erase"
	eventDeletionRequest = "privacy.deletion_request"
	eventEraseRefused    = "privacy.erase_refused"
)
