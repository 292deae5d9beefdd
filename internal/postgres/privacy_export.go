package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// InUserSnapshot runs fn in one REPEATABLE READ, read-only transaction
// whose row-level-security identity is userID, so every read of fn sees
// the same snapshot (an export is consistent). The transaction writes
// nothing and always rolls back.
func (db *DB) InUserSnapshot(ctx context.Context, userID uuid.UUID, fn func(Querier) error) error {
	tx, err := db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := SetUser(ctx, tx, userID); err != nil {
		return err
	}
	return fn(tx)
}

// ExportedAccount is the account object at the head of an export.
type ExportedAccount struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// ExportAccount reads userID's account for the export, or ErrNotFound.
func ExportAccount(ctx context.Context, tx Querier, userID uuid.UUID) (ExportedAccount, error) {
	var created, updated time.Time
	a := ExportedAccount{ID: userID.String()}
	err := tx.QueryRow(ctx, `SELECT email, display_name, created_at, updated_at FROM users WHERE id = $1`, userID).
		Scan(&a.Email, &a.DisplayName, &created, &updated)
	if err != nil {
		return ExportedAccount{}, fmt.Errorf("export: read account: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = exportTime(created), exportTime(updated)
	return a, nil
}

// ExportSection is one array of the export: a query over one table, run
// under the user's row-level-security identity (and filtered by the user
// for the tables that have no policy), and the JSON object of each row.
type ExportSection struct {
	Name  string // the array's key in the document
	Table string // the table it covers (TestExportCoversEveryUserTable)
	sql   string
	row   func(e *DataExport, rows pgx.Rows) (any, error)
	// bySubject: $1 is the user's audit pseudonyms, not the user id.
	bySubject bool
}

// ExportSections are the export's arrays in document order. Every table
// that holds a user's rows appears; secrets (password hash, token and code
// hashes, sealed values, CSRF keys) do not: they are not the user's data
// but keys to it, and useless outside this server. A section's column
// names sit beside its SELECT list, which they must match.
func ExportSections() []ExportSection {
	return []ExportSection{
		newExportSection("tasks", "tasks", `SELECT id, title, notes_sealed, notes_key_id, status, priority, due_date, tags,
				created_at, updated_at, completed_at, deleted_at
			FROM tasks WHERE owner_id = $1 ORDER BY created_at, id`, (*DataExport).exportTask),
		newExportSection("privacy_consents", "consents", `SELECT document, version, accepted_at FROM consents
			WHERE user_id = $1 ORDER BY accepted_at, id`, exportColumns("document", "version", "accepted_at")),
		newExportSection("password", "credentials", `SELECT updated_at FROM credentials WHERE user_id = $1`, exportColumns("set_at")),
		newExportSection("sessions", "sessions", `SELECT created_at, last_seen_at, expires_at, user_agent FROM sessions
			WHERE user_id = $1 ORDER BY created_at`, exportColumns("created_at", "last_seen_at", "expires_at", "browser")),
		newExportSection("connected_apps", "oauth_grants", `SELECT g.id, g.client_id, c.client_name, g.scopes, g.consent_version,
				g.created_at, g.updated_at, g.last_used_at, g.revoked_at
			FROM oauth_grants g LEFT JOIN oauth_clients c ON c.client_id = g.client_id
			WHERE g.user_id = $1 ORDER BY g.created_at, g.id`,
			exportColumns("grant_id", "client_id", "client_name", "scopes", "consent_version", "created_at", "updated_at", "last_used_at", "revoked_at")),
		newExportSection("consent_records", "oauth_consent_records", `SELECT grant_id, client_id, client_name, action, scopes, consent_version, occurred_at
			FROM oauth_consent_records WHERE user_id = $1 ORDER BY occurred_at, id`,
			exportColumns("grant_id", "client_id", "client_name", "action", "scopes", "consent_version", "occurred_at")),
		newExportSection("token_families", "oauth_token_families", `SELECT id, grant_id, client_id, created_at, expires_at, revoked_at, revoke_reason
			FROM oauth_token_families WHERE user_id = $1 ORDER BY created_at, id`,
			exportColumns("family_id", "grant_id", "client_id", "created_at", "expires_at", "revoked_at", "revoke_reason")),
		newExportSection("tokens", "oauth_tokens", `SELECT kind, family_id, client_id, scopes, audience, created_at, expires_at, revoked_at, rotated_at
			FROM oauth_tokens WHERE user_id = $1 ORDER BY created_at`,
			exportColumns("kind", "family_id", "client_id", "scopes", "audience", "created_at", "expires_at", "revoked_at", "rotated_at")),
		newExportSection("authorization_codes", "oauth_codes", `SELECT grant_id, client_id, redirect_uri, scopes, created_at, expires_at, used_at
			FROM oauth_codes WHERE user_id = $1 ORDER BY created_at`,
			exportColumns("grant_id", "client_id", "redirect_uri", "scopes", "created_at", "expires_at", "used_at")),
		newExportSection("pending_authorizations", "oauth_authorization_requests", `SELECT client_id, redirect_uri, scopes, created_at, expires_at
			FROM oauth_authorization_requests WHERE user_id = $1 ORDER BY created_at`,
			exportColumns("client_id", "redirect_uri", "scopes", "created_at", "expires_at")),
		newExportSection("deletion_requests", "account_deletion_requests", `SELECT requested_at, expires_at, via, client_id
			FROM account_deletion_requests WHERE user_id = $1`, exportColumns("requested_at", "expires_at", "via", "client_id")),
		{Name: "audit_events", Table: "audit_events", sql: exportAuditEventsSQL, bySubject: true,
			row: exportColumns("id", "occurred_at", "event_type", "outcome", "client_id", "request_id", "detail")},
	}
}

// exportAuditEventsSQL selects the events whose actor is one of the user's
// pseudonyms (one per audit key).
const exportAuditEventsSQL = `SELECT id, occurred_at, event_type, outcome, client_id, request_id, detail
	FROM audit_events WHERE actor = ANY($1) ORDER BY id`

func newExportSection(name, table, sql string, row func(*DataExport, pgx.Rows) (any, error)) ExportSection {
	return ExportSection{Name: name, Table: table, sql: sql, row: row}
}

// DataExport reads the rows of a user's export (D5); it opens the task
// notes, which the export gives the user in plain text.
type DataExport struct {
	keys *keyring.Keyring
}

// NewDataExport returns a DataExport that opens notes with keys.
func NewDataExport(keys *keyring.Keyring) *DataExport { return &DataExport{keys: keys} }

// EachRow runs sec's query in tx for userID (or, for the audit events, the
// user's pseudonyms subjects) and hands emit each row as a value ready for
// encoding/json, one at a time as the database returns them, so memory
// does not grow with the data.
func (e *DataExport) EachRow(ctx context.Context, tx Querier, sec ExportSection, userID uuid.UUID, subjects []string, emit func(row any) error) error {
	var arg any = userID
	if sec.bySubject {
		arg = subjects
	}
	rows, err := tx.Query(ctx, sec.sql, arg)
	if err != nil {
		return fmt.Errorf("export %s: %w", sec.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := sec.row(e, rows)
		if err != nil {
			return fmt.Errorf("export %s: %w", sec.Name, err)
		}
		if err := emit(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", sec.Name, err)
	}
	return nil
}

// exportColumns returns a row function that names the columns in order.
func exportColumns(names ...string) func(*DataExport, pgx.Rows) (any, error) {
	return func(_ *DataExport, rows pgx.Rows) (any, error) {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if len(vals) != len(names) {
			return nil, fmt.Errorf("export: %d columns for %d names", len(vals), len(names))
		}
		m := make(map[string]any, len(names))
		for i, n := range names {
			m[n] = exportValue(vals[i])
		}
		return exportObject{keys: names, m: m}, nil
	}
}

// exportValue turns pgx values into what encoding/json writes plainly.
func exportValue(v any) any {
	switch x := v.(type) {
	case [16]byte:
		return uuid.UUID(x).String()
	case time.Time:
		return exportTime(x)
	}
	return v
}

// exportObject keeps the column order in the JSON (maps sort keys).
type exportObject struct {
	keys []string
	m    map[string]any
}

func (o exportObject) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, k := range o.keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.m[k])
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, kb...), ':'), vb...)
	}
	return append(buf, '}'), nil
}

type exportedTask struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Notes        string   `json:"notes"`
	Status       string   `json:"status"`
	Priority     string   `json:"priority"`
	DueDate      *string  `json:"due_date"`
	Tags         []string `json:"tags"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
	CompletedAt  *string  `json:"completed_at"`
	InTrashSince *string  `json:"in_trash_since"`
}

// exportTask decrypts the notes: the export is the user's own copy.
func (e *DataExport) exportTask(rows pgx.Rows) (any, error) {
	var (
		t                  exportedTask
		id                 uuid.UUID
		sealed             []byte
		kid                *string
		due                *time.Time
		created, updated   time.Time
		completed, deleted *time.Time
	)
	if err := rows.Scan(&id, &t.Title, &sealed, &kid, &t.Status, &t.Priority, &due, &t.Tags,
		&created, &updated, &completed, &deleted); err != nil {
		return nil, err
	}
	t.ID = id.String()
	if sealed != nil && kid != nil {
		notes, err := e.keys.Open(sealed, *kid, id[:])
		if err != nil {
			return nil, fmt.Errorf("open notes of task %s: %w", id, err)
		}
		t.Notes = string(notes)
	}
	if due != nil {
		d := due.UTC().Format(time.DateOnly)
		t.DueDate = &d
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	t.CreatedAt, t.UpdatedAt = exportTime(created), exportTime(updated)
	t.CompletedAt, t.InTrashSince = exportTimePtr(completed), exportTimePtr(deleted)
	return t, nil
}

// exportTime is how the export writes a time: RFC 3339 in UTC.
func exportTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func exportTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := exportTime(*t)
	return &s
}
