package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Querier is the part of a transaction the stores use: pgx.Tx satisfies it,
// and so does *PipelineTx.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ Querier = pgx.Tx(nil)
	_ Querier = (*PipelineTx)(nil)
)

const (
	beginSQL   = "BEGIN"
	setUserSQL = "SELECT set_config('app.user_id', $1, true)"
	commitSQL  = "COMMIT"
)

// ErrTxFailed is returned by a statement of a PipelineTx after an earlier
// one failed: the transaction is aborted and only rolls back.
var ErrTxFailed = errors.New("transaction already failed")

// InUserPipeline runs fn in a transaction whose row-level-security identity
// is userID, like InUserTx, in fewer round trips: the transaction's opening
// (BEGIN and the transaction-local user setting) travels in one pipeline
// with fn's first statement, and the statements fn defers (PipelineTx.Defer,
// the audit rows) travel in one pipeline with COMMIT. A tool call that runs
// one statement and appends its audit row costs two round trips instead of
// four; each further statement costs one, as in InUserTx.
//
// The guarantees are InUserTx's. The user setting is transaction-local and
// precedes the first statement in the same pipeline: should BEGIN or the
// setting fail, PostgreSQL skips everything after it up to the pipeline's
// Sync, so no statement ever runs without it. If fn returns an error, any
// statement or deferred statement fails, or COMMIT does not commit, nothing
// is committed and the error is returned (wrapped with %w, so
// IsUnavailable and DeadlinePassed still classify it). The connection goes
// back to the pool idle (a ROLLBACK is sent when the server is still in a
// transaction) or is destroyed (pgxpool discards a connection that is
// closed, busy or not idle on release, which covers a context cancelled
// mid-pipeline: pgconn closes the connection when I/O is interrupted).
//
// Only one statement's results can be read at a time, as with any pgx
// connection: read and close a Query's rows before the next statement.
// Savepoints are not offered; code that needs them uses InUserTx.
func (db *DB) InUserPipeline(ctx context.Context, userID uuid.UUID, fn func(tx *PipelineTx) error) (err error) {
	if userID == uuid.Nil {
		return errors.New("user transaction without a user id")
	}
	if db.tracer != nil {
		var end func(error)
		ctx, end = db.startTxSpan(ctx, "user_pipeline")
		defer func() { end(err) }()
	}
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &PipelineTx{conn: pc.Conn(), user: userID.String()}
	defer func() {
		tx.finish(ctx)
		pc.Release()
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.commit(ctx)
}

// PipelineTx is the transaction of InUserPipeline. Its first statement
// opens the transaction; Defer queues statements for the commit.
type PipelineTx struct {
	conn     *pgx.Conn
	user     string             // the validated user id, as text
	begun    bool               // BEGIN and the user setting have been sent
	open     pgx.BatchResults   // the first statement's pipeline, until read to its end
	deferred []*pgx.QueuedQuery // sent with COMMIT
	err      error              // the first failure; the transaction can only roll back
	done     bool               // committed or finished: no more statements
}

// Exec runs sql in the transaction (the first statement of the transaction
// carries its opening with it).
func (tx *PipelineTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := tx.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if br != nil {
		tag, err := br.Exec()
		tx.settle()
		return tag, err
	}
	return tx.conn.Exec(ctx, sql, args...)
}

// Query runs sql in the transaction. The rows must be closed before the
// next statement, as with pgx.
func (tx *PipelineTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := tx.send(ctx, sql, args)
	if err != nil {
		return errRows{err: err}, err
	}
	if br != nil {
		// The pipeline is read to its end (Sync) at the next statement or at
		// the commit, once the caller has read the rows.
		return br.Query()
	}
	return tx.conn.Query(ctx, sql, args...)
}

// QueryRow runs sql in the transaction; errors are reported by Scan.
func (tx *PipelineTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	br, err := tx.send(ctx, sql, args)
	if err != nil {
		return errRow{err: err}
	}
	if br != nil {
		return br.QueryRow()
	}
	return tx.conn.QueryRow(ctx, sql, args...)
}

// SendBatch sends b's statements in one round trip, in the transaction:
// the first statements of the transaction carry its opening with them
// (BEGIN, the user setting, then b, in one pipeline). Close the results
// before the next statement, as with pgx.
func (tx *PipelineTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if tx.done {
		return errBatch{err: errors.New("statement after the transaction ended")}
	}
	tx.settle()
	if tx.err != nil {
		return errBatch{err: fmt.Errorf("%w: %w", ErrTxFailed, tx.err)}
	}
	if tx.begun {
		return tx.conn.SendBatch(ctx, b)
	}
	ob := tx.opening()
	ob.QueuedQueries = append(ob.QueuedQueries, b.QueuedQueries...)
	br, err := tx.sendOpening(ctx, ob)
	if err != nil {
		return errBatch{err: err}
	}
	// Closing twice is harmless: settle checks the pipeline's end again
	// should the caller not have read it.
	tx.open = br
	return br
}

// Defer queues sql to be sent with COMMIT, in the same pipeline: it runs
// after every statement of fn and commits with them or not at all. Its
// result is not available; a failure fails the commit. The arguments are
// encoded at the commit, so they must not change in the meantime.
func (tx *PipelineTx) Defer(sql string, args ...any) {
	tx.deferred = append(tx.deferred, &pgx.QueuedQuery{SQL: sql, Arguments: args})
}

// Deferred is an Exec view of Defer, for writers such as audit.Log.Append
// that only need Exec (Execer) and do not use the command tag: Exec
// queues the statement and returns an empty tag and no error (the
// statement's error, if any, comes from the commit).
func (tx *PipelineTx) Deferred() DeferredExecer { return DeferredExecer{tx: tx} }

// DeferredExecer queues statements on a PipelineTx; see Deferred.
type DeferredExecer struct{ tx *PipelineTx }

// Exec queues sql for the commit; the tag is always empty.
func (d DeferredExecer) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if d.tx.done {
		return pgconn.CommandTag{}, errors.New("deferred statement after the transaction ended")
	}
	d.tx.Defer(sql, args...)
	return pgconn.CommandTag{}, nil
}

// send starts a statement. For the transaction's first statement it sends
// BEGIN, the user setting and the statement in one pipeline and returns its
// results positioned at the statement's; for any later one it returns nil
// and the caller uses the connection directly.
func (tx *PipelineTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	if tx.done {
		return nil, errors.New("statement after the transaction ended")
	}
	tx.settle()
	if tx.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTxFailed, tx.err)
	}
	if tx.begun {
		return nil, nil
	}
	b := tx.opening()
	b.Queue(sql, args...)
	br, err := tx.sendOpening(ctx, b)
	if err != nil {
		return nil, err
	}
	tx.open = br
	return br, nil
}

// opening is a batch that begins the transaction as its user.
func (tx *PipelineTx) opening() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(beginSQL)
	b.Queue(setUserSQL, tx.user)
	return b
}

// sendOpening sends b, which starts with opening(), and reads the results
// of BEGIN and of the user setting.
func (tx *PipelineTx) sendOpening(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	tx.begun = true
	br := tx.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		tx.fail(br, fmt.Errorf("begin transaction: %w", err))
		return nil, tx.err
	}
	if _, err := br.Exec(); err != nil {
		tx.fail(br, fmt.Errorf("set transaction user: %w", err))
		return nil, tx.err
	}
	return br, nil
}

func (tx *PipelineTx) fail(br pgx.BatchResults, err error) {
	_ = br.Close() // its error is err or a consequence of it
	if tx.err == nil {
		tx.err = err
	}
}

// settle reads the first statement's pipeline to its end. A failure there
// (the statement's own error, already returned to the caller, or a lost
// connection) fails the transaction.
func (tx *PipelineTx) settle() {
	if tx.open == nil {
		return
	}
	br := tx.open
	tx.open = nil
	if err := br.Close(); err != nil && tx.err == nil {
		tx.err = err
	}
}

// commit sends the deferred statements and COMMIT in one pipeline (with the
// transaction's opening too if fn sent no statement) and checks that the
// transaction did commit.
func (tx *PipelineTx) commit(ctx context.Context) error {
	tx.settle()
	if tx.err != nil {
		return tx.err
	}
	tx.done = true
	if !tx.begun && len(tx.deferred) == 0 {
		return nil // nothing was sent: there is nothing to commit
	}
	b := &pgx.Batch{}
	if !tx.begun {
		b = tx.opening()
	}
	b.QueuedQueries = append(b.QueuedQueries, tx.deferred...)
	// A transaction that an ignored error aborted answers COMMIT with
	// ROLLBACK, not with an error.
	b.Queue(commitSQL).Exec(func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" {
			return pgx.ErrTxCommitRollback
		}
		return nil
	})
	var br pgx.BatchResults
	if tx.begun {
		br = tx.conn.SendBatch(ctx, b)
	} else {
		var err error
		if br, err = tx.sendOpening(ctx, b); err != nil {
			return err
		}
	}
	if err := br.Close(); err != nil {
		tx.err = fmt.Errorf("commit: %w", err)
		return tx.err
	}
	return nil
}

// finish leaves the connection idle or for the pool to destroy: it reads
// any unread pipeline and rolls back a transaction still open on the
// server (fn failed, a statement failed, or the commit did not complete).
func (tx *PipelineTx) finish(ctx context.Context) {
	tx.settle()
	tx.done = true
	if tx.conn.IsClosed() || tx.conn.PgConn().TxStatus() == 'I' {
		return
	}
	// The rollback error is secondary to the one that caused it; should
	// the rollback fail, the connection is not idle and pgxpool destroys
	// it on release.
	_, _ = tx.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
}

// errRow, errRows and errBatch report a statement that could not be sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errRows struct{ err error }

func (errRows) Close()                                       {}
func (r errRows) Err() error                                 { return r.err }
func (errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (errRows) Next() bool                                   { return false }
func (r errRows) Scan(...any) error                          { return r.err }
func (r errRows) Values() ([]any, error)                     { return nil, r.err }
func (errRows) RawValues() [][]byte                          { return nil }
func (errRows) Conn() *pgx.Conn                              { return nil }
func (errRows) TypeMap() *pgtype.Map                         { return nil }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return errRows(b), b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (errBatch) Tx() pgx.Tx                         { return nil }
