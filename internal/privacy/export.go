package privacy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ExportFormat names the layout of an export document.
const ExportFormat = "taskbridge.export.v1"

// TasksExportFormat names the layout of the export an app gets with its
// token (GET /api/export): the tasks only, which is all that tasks.read
// ("See your tasks") covers. The account, sessions, other apps, consent
// records and audit events are in the account page's export only.
const TasksExportFormat = "taskbridge.tasks-export.v1"

// exportContents is what one export document holds.
type exportContents int

const (
	wholeAccount exportContents = iota // the account page and the CLI
	tasksOnly                          // an app's bearer token
)

// exportSection is one array of the export: a query over one table, run
// under the user's row-level-security identity (and filtered by the user
// for the tables that have no policy), and the JSON object of each row.
type exportSection struct {
	name  string
	table string // the table it covers (TestExportCoversEveryUserTable)
	sql   string
	row   func(s *Service, rows pgx.Rows) (any, error)
	// bySubject: $1 is the user's audit pseudonyms, not the user id.
	bySubject bool
}

// exportSections are the export's arrays in document order. Every table
// that holds a user's rows appears; secrets (password hash, token and code
// hashes, sealed values, CSRF keys) do not: they are not the user's data
// but keys to it, and useless outside this server.
func exportSections() []exportSection {
	return []exportSection{
		sec("tasks", "tasks", `SELECT id, title, notes_sealed, notes_key_id, status, priority, due_date, tags,
				created_at, updated_at, completed_at, deleted_at
			FROM tasks WHERE owner_id = $1 ORDER BY created_at, id`, (*Service).exportTask),
		sec("privacy_consents", "consents", `SELECT document, version, accepted_at FROM consents
			WHERE user_id = $1 ORDER BY accepted_at, id`, rowMap("document", "version", "accepted_at")),
		sec("password", "credentials", `SELECT updated_at FROM credentials WHERE user_id = $1`, rowMap("set_at")),
		sec("sessions", "sessions", `SELECT created_at, last_seen_at, expires_at, user_agent FROM sessions
			WHERE user_id = $1 ORDER BY created_at`, rowMap("created_at", "last_seen_at", "expires_at", "browser")),
		sec("connected_apps", "oauth_grants", `SELECT g.id, g.client_id, c.client_name, g.scopes, g.consent_version,
				g.created_at, g.updated_at, g.last_used_at, g.revoked_at
			FROM oauth_grants g LEFT JOIN oauth_clients c ON c.client_id = g.client_id
			WHERE g.user_id = $1 ORDER BY g.created_at, g.id`,
			rowMap("grant_id", "client_id", "client_name", "scopes", "consent_version", "created_at", "updated_at", "last_used_at", "revoked_at")),
		sec("consent_records", "oauth_consent_records", `SELECT grant_id, client_id, client_name, action, scopes, consent_version, occurred_at
			FROM oauth_consent_records WHERE user_id = $1 ORDER BY occurred_at, id`,
			rowMap("grant_id", "client_id", "client_name", "action", "scopes", "consent_version", "occurred_at")),
		sec("token_families", "oauth_token_families", `SELECT id, grant_id, client_id, created_at, expires_at, revoked_at, revoke_reason
			FROM oauth_token_families WHERE user_id = $1 ORDER BY created_at, id`,
			rowMap("family_id", "grant_id", "client_id", "created_at", "expires_at", "revoked_at", "revoke_reason")),
		sec("tokens", "oauth_tokens", `SELECT kind, family_id, client_id, scopes, audience, created_at, expires_at, revoked_at, rotated_at
			FROM oauth_tokens WHERE user_id = $1 ORDER BY created_at`,
			rowMap("kind", "family_id", "client_id", "scopes", "audience", "created_at", "expires_at", "revoked_at", "rotated_at")),
		sec("authorization_codes", "oauth_codes", `SELECT grant_id, client_id, redirect_uri, scopes, created_at, expires_at, used_at
			FROM oauth_codes WHERE user_id = $1 ORDER BY created_at`,
			rowMap("grant_id", "client_id", "redirect_uri", "scopes", "created_at", "expires_at", "used_at")),
		sec("pending_authorizations", "oauth_authorization_requests", `SELECT client_id, redirect_uri, scopes, created_at, expires_at
			FROM oauth_authorization_requests WHERE user_id = $1 ORDER BY created_at`,
			rowMap("client_id", "redirect_uri", "scopes", "created_at", "expires_at")),
		sec("deletion_requests", "account_deletion_requests", `SELECT requested_at, expires_at, via, client_id
			FROM account_deletion_requests WHERE user_id = $1`, rowMap("requested_at", "expires_at", "via", "client_id")),
		{name: "audit_events", table: "audit_events", sql: auditEventsOfUser, bySubject: true,
			row: rowMap("id", "occurred_at", "event_type", "outcome", "client_id", "request_id", "detail")},
	}
}

// auditEventsOfUser selects the events whose actor is one of the user's
// pseudonyms (one per audit key).
const auditEventsOfUser = `SELECT id, occurred_at, event_type, outcome, client_id, request_id, detail
	FROM audit_events WHERE actor = ANY($1) ORDER BY id`

func sec(name, table, sql string, row func(*Service, pgx.Rows) (any, error)) exportSection {
	return exportSection{name: name, table: table, sql: sql, row: row}
}

// rowMap returns a row function that names the columns in order.
func rowMap(names ...string) func(*Service, pgx.Rows) (any, error) {
	return func(_ *Service, rows pgx.Rows) (any, error) {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if len(vals) != len(names) {
			return nil, fmt.Errorf("export: %d columns for %d names", len(vals), len(names))
		}
		m := make(map[string]any, len(names))
		for i, n := range names {
			m[n] = jsonValue(vals[i])
		}
		return orderedObject{keys: names, m: m}, nil
	}
}

// jsonValue turns pgx values into what encoding/json writes plainly.
func jsonValue(v any) any {
	switch x := v.(type) {
	case [16]byte:
		return uuid.UUID(x).String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// orderedObject keeps the column order in the JSON (maps sort keys).
type orderedObject struct {
	keys []string
	m    map[string]any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
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
func (s *Service) exportTask(rows pgx.Rows) (any, error) {
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
		notes, err := s.keys.Open(sealed, *kid, id[:])
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
	t.CreatedAt, t.UpdatedAt = stamp(created), stamp(updated)
	t.CompletedAt, t.InTrashSince = stampPtr(completed), stampPtr(deleted)
	return t, nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}

// WriteExport writes all of userID's data as one JSON document to w (D5),
// row by row as the queries return them, so memory does not grow with the
// data. Everything is read in one REPEATABLE READ transaction: the document
// is a consistent snapshot. The export is audited before the first byte
// goes out (via: account_page, api or cli): its success outcome means the
// export began. An export that then fails is audited a second time, with
// outcome error, so the trail tells a complete export from a partial one.
// An error after writing began leaves w with a truncated, invalid document,
// never a complete-looking partial one; HTTP callers abort the response.
func (s *Service) WriteExport(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string) error {
	return s.WriteExportProgress(ctx, w, userID, via, clientID, nil)
}

// WriteTasksExport is WriteExport for an app (via api): the same snapshot
// and audit, but only the tasks (TasksExportFormat).
func (s *Service) WriteTasksExport(ctx context.Context, w io.Writer, userID uuid.UUID, clientID string) error {
	return s.writeExport(ctx, w, userID, "api", clientID, tasksOnly, nil)
}

// WriteExportProgress is WriteExport that tells progress, when not nil,
// about each row as it goes into the document: the section's name and 1
// (for the CLI's progress bar). The document's bytes are the same either
// way.
func (s *Service) WriteExportProgress(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string, progress func(section string, rows int64)) error {
	return s.writeExport(ctx, w, userID, via, clientID, wholeAccount, progress)
}

func (s *Service) writeExport(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string, contents exportContents, progress func(string, int64)) error {
	detail := map[string]any{"via": via}
	if contents == tasksOnly {
		detail["contents"] = "tasks"
	}
	record := func(ctx context.Context, outcome audit.Outcome, detail map[string]any) error {
		return s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
			return s.audit.Append(ctx, tx, audit.Event{
				Type: eventExport, Outcome: outcome, ActorID: userID, ClientID: clientID,
				RequestID: logging.RequestID(ctx), Detail: detail,
			})
		})
	}
	if err := record(ctx, audit.OutcomeSuccess, detail); err != nil {
		return err
	}
	if err := s.writeSnapshot(ctx, w, userID, contents, progress); err != nil {
		if errors.Is(err, ErrNoAccount) {
			return err
		}
		// The client went away or the database failed midway: record that
		// this export is incomplete (best effort, even if ctx has ended).
		detail["stage"] = "incomplete"
		if aerr := record(context.WithoutCancel(ctx), audit.OutcomeError, detail); aerr != nil {
			return errors.Join(err, aerr)
		}
		return err
	}
	return nil
}

// writeSnapshot writes the document from one REPEATABLE READ, read-only
// transaction as userID.
func (s *Service) writeSnapshot(ctx context.Context, w io.Writer, userID uuid.UUID, contents exportContents, progress func(string, int64)) error {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := postgres.SetUser(ctx, tx, userID); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := s.writeDocument(ctx, tx, bw, userID, contents, progress); err != nil {
		return err
	}
	return bw.Flush()
}

func (s *Service) writeDocument(ctx context.Context, tx postgres.Querier, w *bufio.Writer, userID uuid.UUID, contents exportContents, progress func(string, int64)) error {
	var (
		email, name      string
		created, updated time.Time
	)
	err := tx.QueryRow(ctx, `SELECT email, display_name, created_at, updated_at FROM users WHERE id = $1`, userID).
		Scan(&email, &name, &created, &updated)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoAccount
		}
		return fmt.Errorf("export: read account: %w", err)
	}
	head := orderedObject{
		keys: []string{"format", "exported_at", "account"},
		m: map[string]any{
			"format": ExportFormat, "exported_at": stamp(s.now()),
			"account": orderedObject{keys: []string{"id", "email", "display_name", "created_at", "updated_at"},
				m: map[string]any{"id": userID.String(), "email": email, "display_name": name,
					"created_at": stamp(created), "updated_at": stamp(updated)}},
		},
	}
	sections := exportSections()
	if contents == tasksOnly {
		head = orderedObject{keys: []string{"format", "exported_at"},
			m: map[string]any{"format": TasksExportFormat, "exported_at": head.m["exported_at"]}}
		sections = slices.DeleteFunc(sections, func(sec exportSection) bool { return sec.name != "tasks" })
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// The header object, left open so the sections follow as its members.
	put(w, b[:len(b)-1])
	for _, sec := range sections {
		if err := s.writeSection(ctx, tx, w, sec, userID, progress); err != nil {
			return err
		}
	}
	_, err = w.WriteString("}\n")
	return err
}

func (s *Service) writeSection(ctx context.Context, tx postgres.Querier, w *bufio.Writer, sec exportSection, userID uuid.UUID, progress func(string, int64)) error {
	name, _ := json.Marshal(sec.name)
	put(w, []byte{','}, name, []byte(":["))
	var arg any = userID
	if sec.bySubject {
		arg = s.audit.Subjects(userID)
	}
	rows, err := tx.Query(ctx, sec.sql, arg)
	if err != nil {
		return fmt.Errorf("export %s: %w", sec.name, err)
	}
	defer rows.Close()
	first := true
	for rows.Next() {
		v, err := sec.row(s, rows)
		if err != nil {
			return fmt.Errorf("export %s: %w", sec.name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("export %s: %w", sec.name, err)
		}
		if !first {
			put(w, []byte{','})
		}
		first = false
		put(w, b)
		if progress != nil {
			progress(sec.name, 1)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", sec.name, err)
	}
	_, err = w.WriteString("]")
	return err
}

// put writes to a bufio.Writer, whose first error is sticky and returned
// by Flush at the end of the document, so single writes need no check.
func put(w *bufio.Writer, parts ...[]byte) {
	for _, p := range parts {
		_, _ = w.Write(p)
	}
}
