package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/audit"
)

// Execer is the part of a transaction that appending an audit event needs:
// every Querier, and a PipelineTx's Deferred view, which queues the insert
// for the transaction's commit.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// AuditAppender is what a component needs to audit its actions; *AuditLog
// is the implementation, and tests wrap it.
type AuditAppender interface {
	Append(ctx context.Context, q Execer, e audit.Event) error
}

// AuditLog writes audit events with the actor pseudonymised under the
// audit key.
type AuditLog struct {
	keys *audit.Keys
}

// NewAuditLog returns an AuditLog that pseudonymises actors with keys'
// active key.
func NewAuditLog(keys *audit.Keys) *AuditLog { return &AuditLog{keys: keys} }

// Append writes e through q, normally the transaction of the audited action,
// so the action and its record commit or roll back together (L4). q may also
// queue the insert for the transaction's commit (PipelineTx.Deferred):
// Append ignores the command tag, and an insert that fails there fails the
// commit. It only inserts: the chain order is assigned later by the sealer,
// so concurrent writers never wait for one another here.
func (l *AuditLog) Append(ctx context.Context, q Execer, e audit.Event) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	var actor *string
	if e.ActorID != uuid.Nil {
		s := l.keys.Subject(e.ActorID)
		actor = &s
	}
	_, err = q.Exec(ctx, `
		INSERT INTO audit_events (event_type, outcome, actor, client_id, request_id, detail)
		VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6)`,
		e.Type, string(e.Outcome), actor, e.ClientID, e.RequestID, raw)
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Type, err)
	}
	return nil
}

// Subject is userID's pseudonym under the active audit key.
func (l *AuditLog) Subject(userID uuid.UUID) string { return l.keys.Subject(userID) }

// Subjects is userID's pseudonym under every audit key, newest first.
func (l *AuditLog) Subjects(userID uuid.UUID) []string { return l.keys.Subjects(userID) }
