package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// RotateOptions tunes RotateNotes; zero values take the defaults.
type RotateOptions struct {
	Batch    int                     // rows per transaction (default 500)
	Progress func(done, total int64) // called after each batch; may be nil
}

// RotateResult is what a rotation did.
type RotateResult struct {
	Resealed  int64 // notes re-encrypted under the active key
	Remaining int64 // notes still under another key (rows locked throughout)
}

// ErrNotOwner means the rotation connection cannot see every task.
var ErrNotOwner = errors.New("key rotation must run as the owner of the tasks table (TASKBRIDGE_MIGRATE_DATABASE_URL)")

// RotateNotes re-encrypts, under keys' active key, every task note sealed
// under another key (S2). conn must be the table OWNER (the migration role):
// row-level security hides other users' tasks from everyone else, and the
// 0005 migration opens them to the owner only while taskbridge.key_rotation
// is set in the transaction.
//
// It works in short batches (FOR UPDATE SKIP LOCKED, one transaction each),
// so the server keeps serving: it reads old and new rows alike with a keyring
// that holds both keys, a user's edit in flight is skipped and picked up by a
// later batch (or is itself written under the active key), and no batch holds
// its locks for long. updated_at is left alone: this is not a user's edit.
func RotateNotes(ctx context.Context, conn *pgx.Conn, keys *keyring.Keyring, opts RotateOptions) (RotateResult, error) {
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	var res RotateResult
	var owner bool
	if err := conn.QueryRow(ctx, `SELECT app_is_table_owner('tasks')`).Scan(&owner); err != nil {
		return res, fmt.Errorf("check the rotation role: %w", err)
	}
	if !owner {
		return res, ErrNotOwner
	}
	active := keys.ActiveKeyID()
	total, err := countStale(ctx, conn, active)
	if err != nil {
		return res, err
	}
	idle := 0
	for {
		n, err := rotateBatch(ctx, conn, keys, opts.Batch)
		if err != nil {
			return res, err
		}
		res.Resealed += int64(n)
		if opts.Progress != nil {
			opts.Progress(res.Resealed, max(total, res.Resealed))
		}
		if n > 0 {
			idle = 0
			continue
		}
		if res.Remaining, err = countStale(ctx, conn, active); err != nil || res.Remaining == 0 {
			return res, err
		}
		// Only rows locked by in-flight edits are left: give them a moment.
		if idle++; idle > 50 {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func inRotationTx(ctx context.Context, conn *pgx.Conn, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('taskbridge.key_rotation', 'on', true)`); err != nil {
			return fmt.Errorf("enter key rotation: %w", err)
		}
		return fn(tx)
	})
}

func countStale(ctx context.Context, conn *pgx.Conn, active string) (int64, error) {
	var n int64
	err := inRotationTx(ctx, conn, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE notes_key_id IS NOT NULL AND notes_key_id <> $1`, active).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count notes to rotate: %w", err)
	}
	return n, nil
}

func rotateBatch(ctx context.Context, conn *pgx.Conn, keys *keyring.Keyring, batch int) (int, error) {
	n := 0
	err := inRotationTx(ctx, conn, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, notes_sealed, notes_key_id FROM tasks
			WHERE notes_key_id IS NOT NULL AND notes_key_id <> $1
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, keys.ActiveKeyID(), batch)
		if err != nil {
			return fmt.Errorf("select notes to rotate: %w", err)
		}
		type resealed struct {
			id     uuid.UUID
			sealed []byte
			kid    string
		}
		var out []resealed
		for rows.Next() {
			var (
				id     uuid.UUID
				sealed []byte
				kid    string
			)
			if err := rows.Scan(&id, &sealed, &kid); err != nil {
				rows.Close()
				return fmt.Errorf("read note to rotate: %w", err)
			}
			// The task id is the associated data, as in Tasks.sealNotes.
			plain, err := keys.Open(sealed, kid, id[:])
			if err != nil {
				rows.Close()
				if errors.Is(err, keyring.ErrUnknownKey) {
					return fmt.Errorf("task %s is sealed under key %q, which TASKBRIDGE_ENCRYPTION_KEYS no longer holds: add it back after the active key and rotate again: %w", id, kid, err)
				}
				return fmt.Errorf("open note of task %s: %w", id, err)
			}
			next, nextKID, err := keys.Seal(plain, id[:])
			if err != nil {
				rows.Close()
				return fmt.Errorf("reseal note of task %s: %w", id, err)
			}
			out = append(out, resealed{id, next, nextKID})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("select notes to rotate: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		ids, sealed, kids := make([]uuid.UUID, len(out)), make([][]byte, len(out)), make([]string, len(out))
		for i, r := range out {
			ids[i], sealed[i], kids[i] = r.id, r.sealed, r.kid
		}
		tag, err := tx.Exec(ctx, `UPDATE tasks t SET notes_sealed = u.s, notes_key_id = u.k
			FROM unnest($1::uuid[], $2::bytea[], $3::text[]) AS u(id, s, k) WHERE t.id = u.id`, ids, sealed, kids)
		if err != nil {
			return fmt.Errorf("write rotated notes: %w", err)
		}
		n = int(tag.RowsAffected())
		return nil
	})
	return n, err
}
