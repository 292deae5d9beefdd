package audit

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"
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
func outOfTimeOrder(seq int64, prevAt time.Time, r *Record) (Problem, bool) {
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
func checkHead(ctx context.Context, tx SealTx, keys *Keys, head *chainHead) (refusal, err error) {
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
	r, found, err := tx.Event(ctx, head.eventID)
	if err != nil {
		return nil, err
	}
	if !found {
		return untrusted("its event %d is missing", head.eventID), nil
	}
	prev := genesis()
	if head.seq > 1 {
		stored, found, err := tx.SealHash(ctx, head.seq-1)
		switch {
		case err != nil:
			return nil, err
		case found:
			prev = stored
		default:
			// Aged out: the checkpoint kept at seq-1 holds the hash.
			if prev, err = vouchedHash(ctx, tx, keys, head.seq-1); err != nil {
				return nil, err
			}
			if prev == nil {
				return untrusted("the seal before it is missing"), nil
			}
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
func vouchedHash(ctx context.Context, tx SealTx, keys *Keys, seq int64) ([]byte, error) {
	cs, err := tx.Checkpoints(ctx, seq, seq)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.valid(keys) {
			return c.Head, nil
		}
	}
	return nil, nil
}

// trustedHeadSearch bounds how many recent checkpoints lastTrustedHead
// reads: a forger without the key can add only as many as there are
// events to seal, and beyond this the lag is measured from the start.
const trustedHeadSearch = 1000

// lastTrustedHead is the newest seal that a valid checkpoint vouches for:
// where an honest sealer left the chain. The zero head (before every event)
// when none is found, so the lag then counts every event.
func lastTrustedHead(ctx context.Context, tx SealTx, keys *Keys) (chainHead, error) {
	seals, err := tx.CheckpointedSeals(ctx, trustedHeadSearch)
	if err != nil {
		return chainHead{}, err
	}
	for _, s := range seals {
		if s.Checkpoint.valid(keys) {
			return chainHead{seq: s.Checkpoint.Seq, eventID: s.EventID, hash: s.Checkpoint.Head}, nil
		}
	}
	return chainHead{}, nil
}
