package audit

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrUntrustedHead means the chain head does not verify under the audit
// key: a seal or checkpoint was written without the key, or the head's
// event was changed. The Sealer refuses to extend such a head, so nothing
// is sealed on top of a forgery; `taskbridge audit verify` names the first
// bad seal (SECURE.md, incident response).
var ErrUntrustedHead = errors.New("the audit chain head does not verify: refusing to extend it")

// MaxBackdating is how far an event may be dated before the event sealed
// ahead of it. Event ids and times are both taken when the row is written
// (migration 0009), so honest events differ only by scheduling jitter or a
// database clock step; an event dated earlier than this was inserted with a
// time of someone's choosing. The Sealer and Verify report it.
const MaxBackdating = 5 * time.Minute

// outOfTimeOrder reports r, sealed at seq, when it is dated more than
// MaxBackdating before prevAt, the time of the event sealed ahead of it.
func outOfTimeOrder(seq int64, prevAt time.Time, r *record) (Problem, bool) {
	if prevAt.IsZero() || !r.OccurredAt.Before(prevAt.Add(-MaxBackdating)) {
		return Problem{}, false
	}
	return Problem{Seq: seq, EventID: r.ID, Kind: "backdated", Detail: fmt.Sprintf(
		"the event is dated %s, %s before the event sealed ahead of it",
		r.OccurredAt.UTC().Format(time.RFC3339), prevAt.Sub(r.OccurredAt).Round(time.Second))}, true
}

// checkHead verifies the head a pass is about to extend: a checkpoint whose
// MAC verifies vouches for its seq and hash, and its hash is the link of its
// event as stored now to the hash before it. It fills head.occurredAt. A
// head that fails is returned as a non-nil refusal (wrapping
// ErrUntrustedHead); err is for database failures. With ephemeral keys
// (development without TASKBRIDGE_AUDIT_KEY) a head sealed before this
// process started cannot verify, and is extended as it is.
func checkHead(ctx context.Context, tx pgx.Tx, keys *Keys, head *chainHead) (refusal, err error) {
	if head.seq == 0 || keys.Ephemeral() {
		return nil, nil
	}
	untrusted := func(format string, args ...any) error {
		return fmt.Errorf("%w: seq %d: %s", ErrUntrustedHead, head.seq, fmt.Sprintf(format, args...))
	}
	vouched, err := vouchedHash(ctx, tx, keys, head.seq)
	if err != nil {
		return nil, err
	}
	if vouched == nil || !hmac.Equal(vouched, head.hash) {
		return untrusted("no checkpoint signed with the audit key vouches for it"), nil
	}
	key, ok := keys.chain[head.keyID]
	if !ok {
		return untrusted("sealed with key %q, which is not configured", head.keyID), nil
	}
	var r record
	err = tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM audit_events e WHERE e.id = $1`, head.eventID).Scan(r.scanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return untrusted("its event %d is missing", head.eventID), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the head's event: %w", err)
	}
	prev := genesis()
	if head.seq > 1 {
		err := tx.QueryRow(ctx, `SELECT hash FROM audit_seals WHERE seq = $1`, head.seq-1).Scan(&prev)
		if errors.Is(err, pgx.ErrNoRows) {
			// Aged out: the checkpoint kept at seq-1 holds the hash.
			if prev, err = vouchedHash(ctx, tx, keys, head.seq-1); err != nil {
				return nil, err
			}
			if prev == nil {
				return untrusted("the seal before it is missing"), nil
			}
		} else if err != nil {
			return nil, fmt.Errorf("read the seal before the head: %w", err)
		}
	}
	if !hmac.Equal(link(key, head.seq, prev, &r), head.hash) {
		return untrusted("its event %d or the seal before it differs from what was sealed", head.eventID), nil
	}
	head.occurredAt = r.OccurredAt
	return nil, nil
}

// vouchedHash is the head hash that a valid checkpoint at seq vouches for,
// or nil when none does.
func vouchedHash(ctx context.Context, tx pgx.Tx, keys *Keys, seq int64) ([]byte, error) {
	rows, err := tx.Query(ctx, `SELECT head_hash, created_at, key_id, mac FROM audit_checkpoints WHERE seq = $1 ORDER BY id`, seq)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints at seq %d: %w", seq, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c checkpointRow
		if err := rows.Scan(&c.head, &c.at, &c.keyID, &c.mac); err != nil {
			return nil, fmt.Errorf("read checkpoint: %w", err)
		}
		if c.valid(keys, seq) {
			return c.head, nil
		}
	}
	return nil, rows.Err()
}

// trustedHeadSearch bounds how many recent checkpoints lastTrustedHead
// reads: a forger without the key can add only as many as there are
// events to seal, and beyond this the lag is measured from the start.
const trustedHeadSearch = 1000

// lastTrustedHead is the newest seal that a valid checkpoint vouches for:
// where an honest sealer left the chain. The zero head (before every event)
// when none is found, so the lag then counts every event.
func lastTrustedHead(ctx context.Context, tx pgx.Tx, keys *Keys) (chainHead, error) {
	rows, err := tx.Query(ctx, `SELECT s.seq, s.event_id, c.head_hash, c.created_at, c.key_id, c.mac
		FROM audit_checkpoints c JOIN audit_seals s ON s.seq = c.seq AND s.hash = c.head_hash
		ORDER BY c.seq DESC, c.id DESC LIMIT $1`, trustedHeadSearch)
	if err != nil {
		return chainHead{}, fmt.Errorf("find the last trusted head: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h chainHead
		var c checkpointRow
		if err := rows.Scan(&h.seq, &h.eventID, &c.head, &c.at, &c.keyID, &c.mac); err != nil {
			return chainHead{}, fmt.Errorf("read checkpoint: %w", err)
		}
		if c.valid(keys, h.seq) {
			h.hash = c.head
			return h, nil
		}
	}
	return chainHead{}, rows.Err()
}
