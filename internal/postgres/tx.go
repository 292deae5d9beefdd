package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// InUserTx runs fn in a transaction whose row-level-security identity is
// userID. The setting is transaction-local (set_config(..., true)), so it
// ends with the transaction and can never leak to the next user of a pooled
// connection. fn's error rolls the transaction back.
func (db *DB) InUserTx(ctx context.Context, userID uuid.UUID, fn func(Querier) error) error {
	if userID == uuid.Nil {
		return errors.New("user transaction without a user id")
	}
	return db.inTx(ctx, "user", pgx.TxOptions{BeginQuery: beginAsUser(userID)}, fn)
}

// beginAsUser opens the transaction and sets its user in one round trip
// (one simple-protocol message with two statements) instead of two: every
// tool call pays for it. The id is inlined rather than bound because the
// simple protocol has no parameters; uuid.UUID.String() is always 36
// characters of hex digits and dashes, so nothing else can reach the SQL.
// Should the second statement fail, the connection is left in a failed
// transaction, which pgxpool discards on release rather than reuse.
func beginAsUser(userID uuid.UUID) string {
	return "BEGIN; SELECT set_config('app.user_id', '" + userID.String() + "', true)"
}

// InSystemTx runs fn in a transaction with no user identity: every
// row-level-security policy keyed on the user matches nothing, so only
// system tables (and SECURITY DEFINER functions) are reachable.
func (db *DB) InSystemTx(ctx context.Context, fn func(Querier) error) error {
	return db.inTx(ctx, "system", pgx.TxOptions{}, fn)
}

// SetUser sets the row-level-security identity for the rest of tx.
func SetUser(ctx context.Context, tx Querier, userID uuid.UUID) error {
	if _, err := tx.Exec(ctx, "SELECT set_config('app.user_id', $1, true)", userID.String()); err != nil {
		return fmt.Errorf("set transaction user: %w", err)
	}
	return nil
}

func (db *DB) inTx(ctx context.Context, kind string, opts pgx.TxOptions, fn func(Querier) error) (err error) {
	if db.tracer != nil {
		var end func(error)
		ctx, end = db.startTxSpan(ctx, kind)
		defer func() { end(err) }()
	}
	tx, err := db.Pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			// The rollback error is secondary to the one that caused it.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// InSavepoint runs fn in a savepoint of tx: fn's error rolls back only what
// fn did, and the transaction goes on. tx must be one the adapter opened
// (InUserTx, InSystemTx); a pipelined transaction has no savepoints.
func InSavepoint(ctx context.Context, tx Querier, fn func(Querier) error) error {
	outer, ok := tx.(pgx.Tx)
	if !ok {
		return fmt.Errorf("savepoint: %T is not a transaction the adapter opened", tx)
	}
	sp, err := outer.Begin(ctx)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(sp); err != nil {
		if rerr := sp.Rollback(ctx); rerr != nil {
			return fmt.Errorf("rollback savepoint: %w", rerr)
		}
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
