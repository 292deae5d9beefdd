package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// SealMetrics receives the state of the chain after each pass.
type SealMetrics interface {
	AuditSealed(headSeq int64, lag time.Duration)
}

// SealerOptions tunes a Sealer; zero values take the defaults.
type SealerOptions struct {
	// Batch is the most events one pass seals (default 5000).
	Batch int
	// MaxWait is how long a pass waits for in-flight transactions to end
	// before it seals only what is already safe (default 1s).
	MaxWait time.Duration
	// WaitForLock makes a pass wait for a concurrent sealer instead of
	// skipping (the CLI waits; the server's ticker skips).
	WaitForLock bool
	Log         *slog.Logger
	Metrics     SealMetrics
	// Now stamps checkpoints (default time.Now); tests move it back.
	Now func() time.Time
}

// Sealer assigns chain order to committed events (see the 0005 migration).
//
// The difficulty is a transaction that took its event id but has not
// committed yet: a later id can commit first, and sealing past the gap
// would leave the earlier event outside the chain forever. The Sealer
// therefore observes a horizon (M, X): M is the last event id handed out,
// X a transaction id newly assigned after M was read. Every
// transaction gets its id before its event id (audit_next_event_id), so any
// transaction holding an event id <= M has a transaction id < X. Once the
// oldest running transaction id (the snapshot xmin) is >= X, all of them
// have ended and every event id <= M is final: committed and visible, or
// rolled back and never coming. Only then are events up to M sealed.
// Writers never wait for the sealer; a long transaction only delays sealing
// (the seal-lag metric shows it), never corrupts it.
type Sealer struct {
	store ChainStore
	keys  *Keys
	opts  SealerOptions

	mu      sync.Mutex
	pending []horizon // observed horizons not yet known to be safe, oldest first
}

type horizon struct {
	lastID  int64 // M: last event id handed out
	nextXID int64 // X: a transaction id assigned after M was read
}

// maxPending bounds the remembered horizons; thinning them only makes
// progress coarser, never unsafe.
const maxPending = 64

// NewSealer returns a Sealer that writes seals with keys' active key.
func NewSealer(store ChainStore, keys *Keys, opts SealerOptions) *Sealer {
	if opts.Batch <= 0 {
		opts.Batch = 5000
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Sealer{store: store, keys: keys, opts: opts}
}

// SealResult is what one pass did.
type SealResult struct {
	Sealed  int   // events sealed by this pass
	HeadSeq int64 // seq of the chain head afterwards
	Busy    bool  // another sealer held the lock; nothing was done
	Lag     time.Duration
	// Problems are events sealed by this pass although dated before the
	// event ahead of them (see MaxBackdating); Verify reports them too.
	Problems []Problem
}

// Run seals every interval until ctx ends, logging failures.
func (s *Sealer) Run(ctx context.Context, interval time.Duration) {
	runEvery(ctx, interval, func() {
		for {
			res, err := s.Seal(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.opts.Log.ErrorContext(ctx, "audit sealer pass failed", slog.Any("err", err))
				}
				return
			}
			if res.Sealed < s.opts.Batch {
				return // caught up; a full batch means more are waiting
			}
		}
	})
}

// runEvery calls pass at once and then every interval until ctx ends.
func runEvery(ctx context.Context, interval time.Duration, pass func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pass()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Seal runs one pass: it seals the committed events that are safe to seal
// (at most Batch) and writes a signed checkpoint of the new head. It first
// checks the head it would extend (checkHead) and refuses, with an error
// wrapping ErrUntrustedHead, to extend one that no valid checkpoint vouches
// for; the lag it reports is then measured from the last head that verifies,
// so a forged head cannot hide the events waiting behind it.
func (s *Sealer) Seal(ctx context.Context) (SealResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res SealResult
	var cp *checkpoint
	var refused error
	locked, err := s.store.InSealTx(ctx, s.opts.WaitForLock, func(tx SealTx) error {
		safe, err := s.safeUpTo(ctx, tx)
		if err != nil {
			return err
		}
		head, err := readHead(ctx, tx)
		if err != nil {
			return err
		}
		res.HeadSeq = head.seq
		if refused, err = checkHead(ctx, tx, s.keys, &head); err != nil {
			return err
		}
		if refused != nil {
			trusted, err := lastTrustedHead(ctx, tx, s.keys)
			if err != nil {
				return err
			}
			res.HeadSeq = trusted.seq
			res.Lag, err = tx.Lag(ctx, trusted.eventID)
			return err
		}
		if safe > head.eventID {
			n, next, err := s.sealRange(ctx, tx, head, safe, &res)
			if err != nil {
				return err
			}
			if n > 0 {
				res.Sealed, res.HeadSeq = n, next.seq
				if cp, err = s.writeCheckpoint(ctx, tx, next); err != nil {
					return err
				}
			}
			head = next
		}
		res.Lag, err = tx.Lag(ctx, head.eventID)
		return err
	})
	if err != nil {
		return SealResult{}, fmt.Errorf("audit seal: %w", err)
	}
	res.Busy = !locked
	for _, p := range res.Problems {
		s.opts.Log.ErrorContext(ctx, "audit event out of time order: sealed, and reported by audit verify", slog.String("problem", p.String()))
	}
	if cp != nil {
		// A copy outside the database: log storage keeps what a database
		// superuser could otherwise truncate together with the checkpoints.
		s.opts.Log.InfoContext(ctx, "audit checkpoint",
			slog.Int64("seq", cp.seq), slog.String("head", hex.EncodeToString(cp.head)), slog.String("key_id", cp.keyID))
	}
	if s.opts.Metrics != nil && !res.Busy {
		s.opts.Metrics.AuditSealed(res.HeadSeq, res.Lag)
	}
	if refused != nil {
		return res, fmt.Errorf("audit seal: %w", refused)
	}
	return res, nil
}

// safeUpTo observes a new horizon and returns the highest event id known to
// be final, waiting up to MaxWait for in-flight transactions to end. The
// transaction has no transaction id of its own yet (it has only read), so
// it does not hold the horizon back itself.
func (s *Sealer) safeUpTo(ctx context.Context, tx SealTx) (int64, error) {
	var h horizon
	// Two statements, in this order: X must be read after M.
	var err error
	if h.lastID, err = tx.LastEventID(ctx); err != nil {
		return 0, err
	}
	// A fresh transaction id, taken in its own short transaction after M
	// was read: every transaction that got its id earlier has a smaller
	// one. (A snapshot's xmax is not enough: it is the latest COMPLETED
	// xid + 1, and running transactions may hold larger ids.)
	if h.nextXID, err = s.store.NewTransactionID(ctx); err != nil {
		return 0, err
	}
	s.pending = append(s.pending, h)
	if len(s.pending) > maxPending {
		thinned := s.pending[:0]
		for i, p := range s.pending {
			if i%2 == 1 || i == len(s.pending)-1 {
				thinned = append(thinned, p)
			}
		}
		s.pending = thinned
	}

	deadline := time.Now().Add(s.opts.MaxWait)
	safe := int64(0)
	for {
		xmin, err := tx.OldestRunningTransaction(ctx)
		if err != nil {
			return 0, err
		}
		// Horizons are observed in order, so the safe ones are a prefix.
		n := 0
		for n < len(s.pending) && s.pending[n].nextXID <= xmin {
			safe = max(safe, s.pending[n].lastID)
			n++
		}
		s.pending = s.pending[n:]
		if len(s.pending) == 0 || !time.Now().Before(deadline) {
			return safe, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type chainHead struct {
	seq        int64
	eventID    int64
	hash       []byte
	keyID      string
	occurredAt time.Time // of the head's event; zero before the first seal
}

func readHead(ctx context.Context, tx SealTx) (chainHead, error) {
	last, found, err := tx.Head(ctx)
	if err != nil || !found {
		return chainHead{hash: genesis()}, err
	}
	return chainHead{seq: last.Seq, eventID: last.EventID, hash: last.Hash, keyID: last.KeyID}, nil
}

// sealRange links the committed events after head up to safe, in id order.
// An event dated more than MaxBackdating before the one sealed ahead of it
// is still sealed, so the chain goes on, and is put in res.Problems.
func (s *Sealer) sealRange(ctx context.Context, tx SealTx, head chainHead, safe int64, res *SealResult) (int, chainHead, error) {
	events, err := tx.EventsAfter(ctx, head.eventID, safe, s.opts.Batch)
	if err != nil {
		return 0, head, err
	}
	if len(events) == 0 {
		return 0, head, nil
	}
	key := s.keys.chain[s.keys.active]
	seals := make([]Seal, 0, len(events))
	next := head
	for i := range events {
		r := &events[i]
		next.seq++
		if p, bad := outOfTimeOrder(next.seq, next.occurredAt, r); bad {
			res.Problems = append(res.Problems, p)
		}
		next.eventID, next.occurredAt = r.ID, r.OccurredAt
		next.hash = link(key, next.seq, next.hash, r)
		seals = append(seals, Seal{Seq: next.seq, EventID: r.ID, KeyID: s.keys.active, Hash: next.hash})
	}
	if err := tx.InsertSeals(ctx, seals); err != nil {
		return 0, head, err
	}
	return len(seals), next, nil
}

type checkpoint struct {
	seq   int64
	head  []byte
	keyID string
}

func (s *Sealer) writeCheckpoint(ctx context.Context, tx SealTx, head chainHead) (*checkpoint, error) {
	// Microsecond precision: what timestamptz stores, so the MAC verifies.
	at := s.opts.Now().UTC().Truncate(time.Microsecond)
	id := s.keys.active
	mac := checkpointMAC(s.keys.chain[id], head.seq, head.hash, at)
	if err := tx.InsertCheckpoint(ctx, Checkpoint{Seq: head.seq, Head: head.hash, At: at, KeyID: id, MAC: mac}); err != nil {
		return nil, err
	}
	return &checkpoint{seq: head.seq, head: head.hash, keyID: id}, nil
}
