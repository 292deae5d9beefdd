package postgres

import (
	"context"
	"fmt"
	"time"
)

// retentionLockKey is the pg_try_advisory_lock key of a retention pass, a
// fixed id no other lock in taskbridge uses: one replica runs a pass at a
// time, the others skip theirs.
const retentionLockKey int64 = 4345724714500677653 // 0x3c4f1d9a6b72e015

// WithRetentionLock runs fn while this process holds the retention lock,
// on a connection of its own, unless another runner (this or another
// replica) holds it: then it returns false at once and fn does not run.
func (db *DB) WithRetentionLock(ctx context.Context, fn func()) (bool, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("retention: acquire connection: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, retentionLockKey).Scan(&locked); err != nil {
		return false, fmt.Errorf("retention: take lock: %w", err)
	}
	if !locked {
		return false, nil
	}
	defer func() {
		// A session-level lock outlives a failed unlock on a pooled
		// connection, so a connection that cannot unlock is closed (which
		// releases the lock) rather than returned to the pool.
		uctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, retentionLockKey); err != nil {
			_ = conn.Conn().Close(uctx)
		}
	}()
	fn()
	return true, nil
}

// The purges of a retention pass (D3). Each removes at most batch rows in
// tx, a system transaction (InSystemTx), and returns how many went; the
// tasks, sessions and deletion requests go through the SECURITY DEFINER
// functions of migrations 0006 and 0008, which check the period and batch
// themselves.

// PurgeTrashedTasksBatch removes tasks in the trash for longer than period.
func PurgeTrashedTasksBatch(ctx context.Context, tx Querier, now time.Time, period time.Duration, batch int) (int64, error) {
	return purgeCount(ctx, tx, `SELECT privacy_purge_trashed_tasks($1, $2, $3)`, now, period, batch)
}

// PurgeCompletedTasksBatch removes tasks completed longer than period ago.
func PurgeCompletedTasksBatch(ctx context.Context, tx Querier, now time.Time, period time.Duration, batch int) (int64, error) {
	return purgeCount(ctx, tx, `SELECT privacy_purge_completed_tasks($1, $2, $3)`, now, period, batch)
}

// PurgeExpiredSessionsBatch removes sessions past their absolute lifetime
// or unused for longer than idle.
func PurgeExpiredSessionsBatch(ctx context.Context, tx Querier, now time.Time, idle time.Duration, batch int) (int64, error) {
	return purgeCount(ctx, tx, `SELECT account_purge_expired_sessions($1, $2, $3)`, now, idle, batch)
}

// PurgeLoginThrottleBatch removes failed-login counters whose last failure
// is at or before forgetBefore and that lock nothing at now.
func PurgeLoginThrottleBatch(ctx context.Context, tx Querier, forgetBefore, now time.Time, batch int) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE (scope, subject) IN (
		SELECT scope, subject FROM login_throttle
		WHERE last_failure_at <= $1 AND (locked_until IS NULL OR locked_until <= $2)
		LIMIT $3 FOR UPDATE SKIP LOCKED)`, forgetBefore, now, batch)
	return tag.RowsAffected(), err
}

// PurgeDeletionRequestsBatch removes deletion requests expired at now.
func PurgeDeletionRequestsBatch(ctx context.Context, tx Querier, now time.Time, batch int) (int64, error) {
	return purgeCount(ctx, tx, `SELECT privacy_purge_deletion_requests($1, $2)`, now, batch)
}

// purgeCount runs a purge function that returns the number of rows it removed.
func purgeCount(ctx context.Context, tx Querier, sql string, args ...any) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}
