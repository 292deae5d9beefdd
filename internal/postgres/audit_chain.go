package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/audit"
)

// auditSealerLockKey is the advisory lock that keeps the audit chain linear: one
// sealer pass at a time across every replica and the CLI ("taskaudi").
const auditSealerLockKey int64 = 0x7461736b61756469

// AuditChain keeps the audit hash chain (audit_seals, audit_checkpoints over
// audit_events) for the Sealer, Verify and the Sweeper (audit.ChainStore).
// It runs as the server's role: sealing needs only INSERT, verifying only
// SELECT.
type AuditChain struct {
	db *DB
}

// NewAuditChain returns the chain kept in db.
func NewAuditChain(db *DB) *AuditChain { return &AuditChain{db: db} }

var _ audit.ChainStore = (*AuditChain)(nil)

// InSealTx runs fn in a transaction that holds the sealer lock. The
// transaction has no transaction id of its own until it writes, so while it
// only reads it does not hold back the horizon it observes.
func (c *AuditChain) InSealTx(ctx context.Context, wait bool, fn func(audit.SealTx) error) (bool, error) {
	locked := false
	err := pgx.BeginFunc(ctx, c.db.Pool, func(tx pgx.Tx) error {
		var err error
		if locked, err = auditSealerLock(ctx, tx, wait); err != nil || !locked {
			return err
		}
		return fn(auditChainTx{tx})
	})
	return locked, err
}

func auditSealerLock(ctx context.Context, tx pgx.Tx, wait bool) (bool, error) {
	if wait {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, auditSealerLockKey); err != nil {
			return false, fmt.Errorf("wait for sealer lock: %w", err)
		}
		return true, nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, auditSealerLockKey).Scan(&ok); err != nil {
		return false, fmt.Errorf("sealer lock: %w", err)
	}
	return ok, nil
}

// NewTransactionID takes a fresh transaction id in its own short
// transaction (audit.Sealer explains why).
func (c *AuditChain) NewTransactionID(ctx context.Context) (int64, error) {
	var xid int64
	if err := c.db.Pool.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&xid); err != nil {
		return 0, fmt.Errorf("read transaction horizon: %w", err)
	}
	return xid, nil
}

// InSnapshot runs fn in one REPEATABLE READ, READ ONLY transaction.
func (c *AuditChain) InSnapshot(ctx context.Context, fn func(audit.ChainSnapshot) error) error {
	tx, err := c.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(auditChainTx{tx})
}

// AgeOutAudit removes at most maxEvents sealed events that occurred before
// cutoff, together with their seals, in whole chain prefixes ending at a
// checkpoint that is kept as the new anchor, so audit.Verify still passes
// (D3). It returns how many events went; call it until it returns 0.
// cutoff must be at least audit.MinRetention in the past.
func AgeOutAudit(ctx context.Context, tx Querier, cutoff time.Time, maxEvents int) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT audit_age_out($1, $2)`, cutoff, maxEvents).Scan(&n); err != nil {
		return 0, fmt.Errorf("age out audit events: %w", err)
	}
	return n, nil
}

// auditChainTx is a sealer pass's transaction or a verifier's snapshot.
type auditChainTx struct {
	tx pgx.Tx
}

// auditRecordColumns selects an audit.Record in auditRecordTargets' order.
const auditRecordColumns = `e.id, e.occurred_at, e.event_type, e.outcome, e.actor, e.client_id, e.request_id, e.detail::text`

func auditRecordTargets(r *audit.Record) []any {
	return []any{&r.ID, &r.OccurredAt, &r.Type, &r.Outcome, &r.Actor, &r.ClientID, &r.RequestID, &r.Detail}
}

func (t auditChainTx) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := t.tx.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM audit_events_id_seq`).Scan(&id); err != nil {
		return 0, fmt.Errorf("read event id horizon: %w", err)
	}
	return id, nil
}

func (t auditChainTx) OldestRunningTransaction(ctx context.Context) (int64, error) {
	var xmin int64
	if err := t.tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xmin); err != nil {
		return 0, fmt.Errorf("read oldest running transaction: %w", err)
	}
	return xmin, nil
}

func (t auditChainTx) Head(ctx context.Context) (audit.Seal, bool, error) {
	var s audit.Seal
	err := t.tx.QueryRow(ctx, `SELECT seq, event_id, hash, key_id FROM audit_seals ORDER BY seq DESC LIMIT 1`).Scan(&s.Seq, &s.EventID, &s.Hash, &s.KeyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.Seal{}, false, nil
	}
	if err != nil {
		return audit.Seal{}, false, fmt.Errorf("read chain head: %w", err)
	}
	return s, true, nil
}

func (t auditChainTx) Event(ctx context.Context, id int64) (audit.Record, bool, error) {
	var r audit.Record
	err := t.tx.QueryRow(ctx, `SELECT `+auditRecordColumns+` FROM audit_events e WHERE e.id = $1`, id).Scan(auditRecordTargets(&r)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.Record{}, false, nil
	}
	if err != nil {
		return audit.Record{}, false, fmt.Errorf("read the head's event: %w", err)
	}
	return r, true, nil
}

func (t auditChainTx) SealHash(ctx context.Context, seq int64) ([]byte, bool, error) {
	var hash []byte
	err := t.tx.QueryRow(ctx, `SELECT hash FROM audit_seals WHERE seq = $1`, seq).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the seal at seq %d: %w", seq, err)
	}
	return hash, true, nil
}

func (t auditChainTx) FirstSeq(ctx context.Context) (int64, error) {
	var first int64
	if err := t.tx.QueryRow(ctx, `SELECT COALESCE(min(seq), 0) FROM audit_seals`).Scan(&first); err != nil {
		return 0, fmt.Errorf("read the first seal: %w", err)
	}
	return first, nil
}

func (t auditChainTx) Extent(ctx context.Context) (now time.Time, first, head int64, err error) {
	if err := t.tx.QueryRow(ctx, `SELECT now(), COALESCE(min(seq), 1), COALESCE(max(seq), 0) FROM audit_seals`).Scan(&now, &first, &head); err != nil {
		return time.Time{}, 0, 0, fmt.Errorf("read the chain's extent: %w", err)
	}
	return now, first, head, nil
}

func (t auditChainTx) Checkpoints(ctx context.Context, lo, hi int64) ([]audit.Checkpoint, error) {
	return t.checkpoints(ctx, `SELECT id, seq, head_hash, created_at, key_id, mac FROM audit_checkpoints
		WHERE seq BETWEEN $1 AND $2 ORDER BY seq, id`, lo, hi)
}

func (t auditChainTx) CheckpointsAfter(ctx context.Context, seq int64, limit int) ([]audit.Checkpoint, error) {
	return t.checkpoints(ctx, `SELECT id, seq, head_hash, created_at, key_id, mac FROM audit_checkpoints
		WHERE seq > $1 ORDER BY seq DESC, id LIMIT $2`, seq, limit)
}

func (t auditChainTx) checkpoints(ctx context.Context, sql string, args ...any) ([]audit.Checkpoint, error) {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Checkpoint, error) {
		var c audit.Checkpoint
		err := row.Scan(&c.ID, &c.Seq, &c.Head, &c.At, &c.KeyID, &c.MAC)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	return cs, nil
}

func (t auditChainTx) CheckpointedSeals(ctx context.Context, limit int) ([]audit.CheckpointedSeal, error) {
	rows, err := t.tx.Query(ctx, `SELECT s.event_id, c.id, s.seq, c.head_hash, c.created_at, c.key_id, c.mac
		FROM audit_checkpoints c JOIN audit_seals s ON s.seq = c.seq AND s.hash = c.head_hash
		ORDER BY c.seq DESC, c.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("find the last trusted head: %w", err)
	}
	seals, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.CheckpointedSeal, error) {
		var s audit.CheckpointedSeal
		c := &s.Checkpoint
		err := row.Scan(&s.EventID, &c.ID, &c.Seq, &c.Head, &c.At, &c.KeyID, &c.MAC)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	return seals, nil
}

func (t auditChainTx) WalkSeals(ctx context.Context, lo, hi int64, fn func(audit.SealedEvent) error) error {
	// The COALESCEs only make a missing event scannable; present says
	// whether it exists.
	rows, err := t.tx.Query(ctx, `SELECT s.seq, s.event_id, s.key_id, s.hash, e.id IS NOT NULL,
		COALESCE(e.id, 0), COALESCE(e.occurred_at, 'epoch'), COALESCE(e.event_type, ''), COALESCE(e.outcome, ''),
		e.actor, e.client_id, e.request_id, COALESCE(e.detail::text, '')
		FROM audit_seals s LEFT JOIN audit_events e ON e.id = s.event_id
		WHERE s.seq > $1 AND s.seq <= $2 ORDER BY s.seq`, lo, hi)
	if err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			se      audit.SealedEvent
			present bool
			r       audit.Record
		)
		targets := append([]any{&se.Seq, &se.EventID, &se.KeyID, &se.Hash, &present}, auditRecordTargets(&r)...)
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("read seal: %w", err)
		}
		if present {
			se.Event = &r
		}
		if err := fn(se); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	return nil
}

func (t auditChainTx) UnsealedEvents(ctx context.Context, after, upTo int64, limit int) ([]int64, error) {
	rows, err := t.tx.Query(ctx, `SELECT e.id FROM audit_events e
		WHERE e.id > $1 AND e.id <= $2 AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)
		ORDER BY e.id LIMIT $3`, after, upTo, limit)
	if err != nil {
		return nil, fmt.Errorf("find unsealed events: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find unsealed events: %w", err)
	}
	return ids, nil
}

func (t auditChainTx) CountEventsAfter(ctx context.Context, id int64) (int64, error) {
	var n int64
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE id > $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unsealed events: %w", err)
	}
	return n, nil
}

func (t auditChainTx) EventsAfter(ctx context.Context, after, upTo int64, limit int) ([]audit.Record, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+auditRecordColumns+` FROM audit_events e
		WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id LIMIT $3`, after, upTo, limit)
	if err != nil {
		return nil, fmt.Errorf("read events to seal: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Record, error) {
		var r audit.Record
		err := row.Scan(auditRecordTargets(&r)...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events to seal: %w", err)
	}
	return events, nil
}

// Lag is the age of the oldest committed event after afterEventID.
func (t auditChainTx) Lag(ctx context.Context, afterEventID int64) (time.Duration, error) {
	var secs float64
	err := t.tx.QueryRow(ctx, `SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(occurred_at)), 0)::float8
		FROM audit_events WHERE id > $1`, afterEventID).Scan(&secs)
	if err != nil {
		return 0, fmt.Errorf("measure seal lag: %w", err)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func (t auditChainTx) InsertSeals(ctx context.Context, seals []audit.Seal) error {
	seqs, ids := make([]int64, len(seals)), make([]int64, len(seals))
	keyIDs, hashes := make([]string, len(seals)), make([][]byte, len(seals))
	for i, s := range seals {
		seqs[i], ids[i], keyIDs[i], hashes[i] = s.Seq, s.EventID, s.KeyID, s.Hash
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO audit_seals (seq, event_id, key_id, hash)
		SELECT s, e, k, h FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) AS t(s, e, k, h)`,
		seqs, ids, keyIDs, hashes)
	if err != nil {
		return fmt.Errorf("write seals: %w", err)
	}
	return nil
}

func (t auditChainTx) InsertCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO audit_checkpoints (seq, head_hash, created_at, key_id, mac) VALUES ($1, $2, $3, $4, $5)`,
		c.Seq, c.Head, c.At, c.KeyID, c.MAC)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}
