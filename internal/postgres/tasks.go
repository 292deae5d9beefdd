package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/task"
)

// Tasks reads and writes tasks inside a user transaction (see InUserTx and
// InUserPipeline; any Querier of such a transaction).
// It never takes an owner id: the owner is always the transaction's user,
// so a caller cannot even express a write to someone else's task.
type Tasks struct {
	keys       *keyring.Keyring
	maxPerUser int
}

// NewTasks returns a task store that seals notes with keys and lets one
// user store task.DefaultMaxTasksPerUser tasks.
func NewTasks(keys *keyring.Keyring) *Tasks {
	return &Tasks{keys: keys, maxPerUser: task.DefaultMaxTasksPerUser}
}

// WithMaxPerUser returns a copy of the store that lets one user store n
// tasks, the trash included.
func (s *Tasks) WithMaxPerUser(n int) *Tasks {
	c := *s
	c.maxPerUser = n
	return &c
}

const taskColumns = `id, owner_id, title, notes_sealed, notes_key_id, status, due_date, priority, tags,
	created_at, updated_at, completed_at, deleted_at`

// countLive and countTrashed count the transaction's user's tasks. Each
// names the owner and the partial index's condition, so it reads
// only that user's entries of tasks_owner_live or tasks_owner_trash (see
// listQuery on why the owner is named although RLS restricts the rows).
const (
	countLive    = `(SELECT count(*) FROM tasks WHERE owner_id = app_current_user_id() AND deleted_at IS NULL)`
	countTrashed = `(SELECT count(*) FROM tasks WHERE owner_id = app_current_user_id() AND deleted_at IS NOT NULL)`
)

// Create inserts a new task owned by the transaction's user, unless the
// user already stores the most tasks they may (a *task.LimitError).
//
// The limit holds under concurrency: the user's row is locked first, in a
// statement of its own, so creates of one user run one after another, and
// the INSERT, whose READ COMMITTED snapshot is taken after the lock is
// held, counts every task a previous holder committed. A count in the
// locking statement itself would use the snapshot from before the wait.
func (s *Tasks) Create(ctx context.Context, tx Querier, in task.NewTask) (task.Task, error) {
	if err := in.Normalize(); err != nil {
		return task.Task{}, err
	}
	id := uuid.New()
	sealed, kid, err := s.sealNotes(id, in.Notes)
	if err != nil {
		return task.Task{}, err
	}
	// NO KEY UPDATE rather than UPDATE: it does not wait for, or block, the
	// KEY SHARE locks that rows referencing the user (sessions, grants)
	// take through their foreign keys.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = app_current_user_id() FOR NO KEY UPDATE`); err != nil {
		return task.Task{}, fmt.Errorf("lock the user for a create: %w", err)
	}
	// clock_timestamp, not now(): tasks created in one transaction (a
	// batch) get distinct creation times, so they list in the order they
	// were created instead of by their random ids.
	row := tx.QueryRow(ctx, `
		INSERT INTO tasks (id, owner_id, title, notes_sealed, notes_key_id, due_date, priority, tags, created_at, updated_at)
		SELECT $1, app_current_user_id(), $2, $3, $4, $5, $6, $7, clock_timestamp(), clock_timestamp()
		WHERE `+countLive+` + `+countTrashed+` < $8
		RETURNING `+taskColumns,
		id, in.Title, sealed, kid, dateArg(in.DueDate), string(in.Priority), in.Tags, s.maxPerUser)
	t, err := s.scan(row)
	if errors.Is(err, task.ErrNotFound) { // the WHERE refused: at the limit
		return task.Task{}, s.limitReached(ctx, tx)
	}
	return t, err
}

// limitReached describes the full account Create refused.
func (s *Tasks) limitReached(ctx context.Context, tx Querier) error {
	e := &task.LimitError{Max: s.maxPerUser}
	var live int
	if err := tx.QueryRow(ctx, `SELECT `+countLive+`, `+countTrashed).Scan(&live, &e.InTrash); err != nil {
		return fmt.Errorf("count tasks at the limit: %w", err)
	}
	e.Stored = live + e.InTrash
	return e
}

// Get returns a task of the transaction's user, live or in the trash.
func (s *Tasks) Get(ctx context.Context, tx Querier, id uuid.UUID) (task.Task, error) {
	return s.scan(tx.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id))
}

// getForUpdate locks the row so a read-modify-write cannot lose an update.
func (s *Tasks) getForUpdate(ctx context.Context, tx Querier, id uuid.UUID) (task.Task, error) {
	return s.scan(tx.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1 FOR UPDATE`, id))
}

// TaskCounts is how many of the user's tasks are open, done and in the trash.
type TaskCounts struct {
	Open  int `json:"open"`
	Done  int `json:"done"`
	Trash int `json:"trash"`
}

// countsSQL counts all of the transaction's user's tasks, whatever page or
// filter a list shows, so the board's totals are the user's real ones.
const countsSQL = `
		SELECT count(*) FILTER (WHERE deleted_at IS NULL AND status = 'open'),
		       count(*) FILTER (WHERE deleted_at IS NULL AND status = 'done'),
		       count(*) FILTER (WHERE deleted_at IS NOT NULL)
		FROM tasks WHERE owner_id = app_current_user_id()`

// Counts counts all of the transaction's user's tasks (ListWithCounts
// reads them with a page in one round trip).
func (s *Tasks) Counts(ctx context.Context, tx Querier) (TaskCounts, error) {
	var c TaskCounts
	if err := tx.QueryRow(ctx, countsSQL).Scan(&c.Open, &c.Done, &c.Trash); err != nil {
		return TaskCounts{}, fmt.Errorf("count tasks: %w", err)
	}
	return c, nil
}

// List returns up to f.Limit tasks after the given position (nil for the
// first page), and whether more follow. f must be normalized.
func (s *Tasks) List(ctx context.Context, tx Querier, f task.Filter, after *task.Position) ([]task.Task, bool, error) {
	sql, args, limit := listQuery(f, after)
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list tasks: %w", err)
	}
	return s.readList(rows, limit)
}

// readList reads and closes the rows of listQuery: up to limit tasks, and
// whether more follow.
func (s *Tasks) readList(rows pgx.Rows, limit int) ([]task.Task, bool, error) {
	defer rows.Close()
	out := make([]task.Task, 0, limit+1)
	r := newTaskRow()
	for rows.Next() {
		t, err := s.scanInto(rows, r)
		if err != nil {
			return nil, false, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list tasks: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// listQuery builds List's statement. It names the owner explicitly although
// row-level security already restricts the rows: PostgreSQL ORs every
// permissive policy that applies to the role (tasks_owner and the 0005
// key-rotation policies, which do not constrain owner_id), and a query whose
// only owner condition sits inside that OR cannot use the (owner_id,
// created_at, id) index: listing one user's tasks would read every user's
// live tasks. The explicit condition keeps the cost proportional to the
// user's own list (TestListQueryUsesTheOwnerIndex) and changes no result.
func listQuery(f task.Filter, after *task.Position) (string, []any, int) {
	where := []string{"owner_id = app_current_user_id()", "deleted_at IS NULL"}
	if f.View == task.ViewTrash {
		where[1] = "deleted_at IS NOT NULL"
	}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.DueBefore != nil {
		where = append(where, "due_date < "+arg(f.DueBefore.Time()))
	}
	if f.DueAfter != nil {
		where = append(where, "due_date > "+arg(f.DueAfter.Time()))
	}
	if f.Tag != "" {
		where = append(where, arg(f.Tag)+" = ANY (tags)")
	}
	if f.Query != "" {
		// position() rather than LIKE: the query is data, never a pattern.
		q := arg(strings.ToLower(f.Query))
		where = append(where, "(position("+q+" in lower(title)) > 0 OR "+q+" = ANY (tags))")
	}
	if after != nil {
		where = append(where, "(created_at, id) < ("+arg(after.CreatedAt)+", "+arg(after.ID)+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > task.MaxPageSize {
		limit = task.DefaultPage
	}
	sql := `SELECT ` + taskColumns + ` FROM tasks WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT ` + arg(limit+1)
	return sql, args, limit
}

// Update applies a partial update to a live task.
func (s *Tasks) Update(ctx context.Context, tx Querier, id uuid.UUID, p task.Patch) (task.Task, error) {
	if err := p.Normalize(); err != nil {
		return task.Task{}, err
	}
	cur, err := s.getForUpdate(ctx, tx, id)
	if err != nil {
		return task.Task{}, err
	}
	if cur.InTrash() {
		return task.Task{}, fmt.Errorf("%w: the task is in the trash; restore it first", task.ErrConflict)
	}
	next, err := p.Apply(cur)
	if err != nil {
		return task.Task{}, err
	}
	sealed, kid, err := s.sealNotes(id, next.Notes)
	if err != nil {
		return task.Task{}, err
	}
	return s.scan(tx.QueryRow(ctx, `
		UPDATE tasks SET title = $2, notes_sealed = $3, notes_key_id = $4, due_date = $5,
		       priority = $6, tags = $7, updated_at = now()
		WHERE id = $1 RETURNING `+taskColumns,
		id, next.Title, sealed, kid, dateArg(next.DueDate), string(next.Priority), next.Tags))
}

// SetStatus marks a live task done or open again. Setting the status it
// already has is not an error (the call is idempotent).
func (s *Tasks) SetStatus(ctx context.Context, tx Querier, id uuid.UUID, st task.Status) (task.Task, error) {
	if _, err := task.ParseStatus(string(st)); err != nil {
		return task.Task{}, &task.ValidationError{Fields: []task.FieldError{{Field: "status", Message: err.Error()}}}
	}
	t, err := s.scan(tx.QueryRow(ctx, `
		UPDATE tasks SET status = $2,
		       completed_at = CASE WHEN $2 = 'done' THEN COALESCE(completed_at, now()) ELSE NULL END,
		       updated_at = CASE WHEN status = $2 THEN updated_at ELSE now() END
		WHERE id = $1 AND deleted_at IS NULL RETURNING `+taskColumns, id, string(st)))
	if errors.Is(err, task.ErrNotFound) {
		return task.Task{}, s.trashedOrMissing(ctx, tx, id)
	}
	return t, err
}

// Trash moves a live task to the trash, where retention purges it later.
func (s *Tasks) Trash(ctx context.Context, tx Querier, id uuid.UUID) (task.Task, error) {
	t, err := s.scan(tx.QueryRow(ctx, `
		UPDATE tasks SET deleted_at = now(), updated_at = now()
		WHERE id = $1 AND deleted_at IS NULL RETURNING `+taskColumns, id))
	if errors.Is(err, task.ErrNotFound) {
		return task.Task{}, s.trashedOrMissing(ctx, tx, id)
	}
	return t, err
}

// Restore brings a task back from the trash.
func (s *Tasks) Restore(ctx context.Context, tx Querier, id uuid.UUID) (task.Task, error) {
	t, err := s.scan(tx.QueryRow(ctx, `
		UPDATE tasks SET deleted_at = NULL, updated_at = now()
		WHERE id = $1 AND deleted_at IS NOT NULL RETURNING `+taskColumns, id))
	if errors.Is(err, task.ErrNotFound) {
		if _, gerr := s.Get(ctx, tx, id); gerr == nil {
			return task.Task{}, fmt.Errorf("%w: the task is not in the trash", task.ErrConflict)
		}
	}
	return t, err
}

// Purge permanently deletes a task that is already in the trash. Callers
// must have obtained the user's explicit confirmation first (P6).
func (s *Tasks) Purge(ctx context.Context, tx Querier, id uuid.UUID) error {
	tag, err := tx.Exec(ctx, `DELETE FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL`, id)
	if err != nil {
		return fmt.Errorf("purge task: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, gerr := s.Get(ctx, tx, id); gerr == nil {
			return fmt.Errorf("%w: only a task in the trash can be deleted permanently", task.ErrConflict)
		}
		return task.ErrNotFound
	}
	return nil
}

func (s *Tasks) trashedOrMissing(ctx context.Context, tx Querier, id uuid.UUID) error {
	t, err := s.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if t.InTrash() {
		return fmt.Errorf("%w: the task is in the trash; restore it first", task.ErrConflict)
	}
	return fmt.Errorf("%w: the task is not in the trash", task.ErrConflict)
}

func (s *Tasks) sealNotes(id uuid.UUID, notes string) ([]byte, *string, error) {
	if notes == "" {
		return nil, nil, nil
	}
	sealed, kid, err := s.keys.Seal([]byte(notes), id[:])
	if err != nil {
		return nil, nil, fmt.Errorf("seal notes: %w", err)
	}
	return sealed, &kid, nil
}

func (s *Tasks) scan(row pgx.Row) (task.Task, error) {
	return s.scanInto(row, newTaskRow())
}

// taskRow holds the scan destinations of one row of taskColumns. List
// scans every row through one taskRow: building the destinations anew for
// each row was a good part of a list's garbage.
type taskRow struct {
	// pgtype.UUID decodes the binary form directly; uuid.UUID goes
	// through database/sql's Scanner (text, then parse) on every row.
	// The nullable columns scan into pgtype's values, not pointers, which
	// pgx would allocate for every row.
	id, owner          pgtype.UUID
	title              string
	sealed             []byte
	kid                repeatedText
	status, priority   repeatedText
	due                pgtype.Date
	tags               []string
	created, updated   time.Time
	completed, deleted pgtype.Timestamptz
	dest               []any
}

func newTaskRow() *taskRow {
	r := &taskRow{}
	r.dest = []any{&r.id, &r.owner, &r.title, &r.sealed, &r.kid, &r.status, &r.due, &r.priority, &r.tags,
		&r.created, &r.updated, &r.completed, &r.deleted}
	return r
}

func (s *Tasks) scanInto(row pgx.Row, r *taskRow) (task.Task, error) {
	// Never share a previous row's slices or pointers.
	r.sealed, r.tags = nil, nil
	err := row.Scan(r.dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return task.Task{}, task.ErrNotFound
	}
	if err != nil {
		return task.Task{}, fmt.Errorf("read task: %w", err)
	}
	t := task.Task{
		ID: r.id.Bytes, OwnerID: r.owner.Bytes, Title: r.title,
		Status: task.Status(r.status.s), Priority: task.Priority(r.priority.s), Tags: r.tags,
		CreatedAt: r.created, UpdatedAt: r.updated, CompletedAt: timeOrNil(r.completed), DeletedAt: timeOrNil(r.deleted),
	}
	if r.due.Valid {
		d := task.DateOf(r.due.Time.UTC())
		t.DueDate = &d
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if r.sealed != nil && r.kid.valid {
		notes, err := s.keys.Open(r.sealed, r.kid.s, t.ID[:])
		if err != nil {
			return task.Task{}, fmt.Errorf("open notes of task %s: %w", t.ID, err)
		}
		t.Notes = string(notes)
	}
	return t, nil
}

// repeatedText scans a text column with few values (a task's status,
// priority and notes key id): a row with the value of an earlier row of
// the same scan reuses that row's string instead of allocating one more.
type repeatedText struct {
	s     string
	valid bool // false for NULL
	seen  [4]string
	n     int
}

// ScanBytes implements pgtype.BytesScanner; b is the driver's memory,
// valid only until the next row.
func (t *repeatedText) ScanBytes(b []byte) error {
	if t.valid = b != nil; !t.valid {
		t.s = ""
		return nil
	}
	for _, v := range t.seen[:t.n] {
		if string(b) == v { // compared without a conversion
			t.s = v
			return nil
		}
	}
	t.s = string(b)
	if t.n < len(t.seen) {
		t.seen[t.n] = t.s
		t.n++
	}
	return nil
}

func timeOrNil(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time // copied, so that t does not escape when not valid
	return &v
}

func dateArg(d *task.Date) any {
	if d == nil {
		return nil
	}
	return d.Time()
}
