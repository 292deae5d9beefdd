package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer is the part of a pgx transaction or pool that Append needs.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Appender is what a component needs to audit its actions; *Log is the
// implementation.
type Appender interface {
	Append(ctx context.Context, q Execer, e Event) error
}

// Log writes audit events with the actor pseudonymised under the audit key.
type Log struct {
	keys *Keys
}

// NewLog returns a Log that pseudonymises actors with keys' active key.
func NewLog(keys *Keys) *Log { return &Log{keys: keys} }

// Append writes e through q, normally the transaction of the audited action,
// so the action and its record commit or roll back together. q may also
// queue the insert for the transaction's commit (postgres.PipelineTx's
// Deferred view): Append ignores the command tag, and an insert that fails
// there fails the commit. It only
// inserts: the chain order is assigned later by the Sealer, so concurrent
// writers never wait for one another here.
func (l *Log) Append(ctx context.Context, q Execer, e Event) error {
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
		s := l.Subject(e.ActorID)
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

// Subject is the pseudonym the trail stores for userID under the active
// key: HMAC-SHA256 of the user id, base64url. Without the key and the user
// id it links to no one, so erasing the user row (D4) leaves the trail
// intact and anonymous at once.
func (l *Log) Subject(userID uuid.UUID) string {
	return subject(l.keys.subject[l.keys.active], userID)
}

// Subjects is userID's pseudonym under every key, newest first: what an
// export or an erasure report looks up (`WHERE actor = ANY($1)`).
func (l *Log) Subjects(userID uuid.UUID) []string {
	out := make([]string, 0, len(l.keys.order))
	for _, id := range l.keys.order {
		out = append(out, subject(l.keys.subject[id], userID))
	}
	return out
}

func subject(key []byte, userID uuid.UUID) string {
	m := hmac.New(sha256.New, key)
	m.Write(userID[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
