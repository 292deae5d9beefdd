package audit

import (
	"context"
	"crypto/hmac"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// VerifyMetrics receives what the Sweeper finds.
type VerifyMetrics interface {
	// AuditVerifyProblems is the number of problems found in the current
	// sweep or the last complete one, whichever is larger: it falls back to
	// zero only after a whole sweep found nothing.
	AuditVerifyProblems(n int)
	// AuditChainVerified is called when a whole sweep found no problem.
	AuditChainVerified(at time.Time)
}

// SweeperOptions tunes a Sweeper; zero values take the defaults.
type SweeperOptions struct {
	// Batch is the most seals one pass verifies (default 100000), which
	// bounds a pass's work however long the chain grows.
	Batch   int64
	Log     *slog.Logger
	Metrics VerifyMetrics
	// Now stamps complete sweeps (default time.Now).
	Now func() time.Time
}

// Sweeper is serve's scheduled `audit verify`: it walks the whole chain
// with the checks of Verify, Batch seals per pass, continuing where the
// last pass stopped; at the head a sweep is complete and the next pass
// starts again from the first seal, so old events are re-checked too, not
// only new ones. Between passes it keeps the hash it computed at its
// position and checks that the seal there is unchanged, so a cut behind it
// is seen at once.
type Sweeper struct {
	store ChainStore
	keys  *Keys
	opts  SweeperOptions

	mu       sync.Mutex
	cursor   *position // nil: the next pass starts a sweep
	found    int       // problems found so far in this sweep
	lastFull int       // problems found by the last complete sweep
}

// NewSweeper returns a Sweeper that verifies with keys.
func NewSweeper(store ChainStore, keys *Keys, opts SweeperOptions) *Sweeper {
	if opts.Batch <= 0 {
		opts.Batch = 100_000
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sweeper{store: store, keys: keys, opts: opts}
}

// SweepResult is what one pass found.
type SweepResult struct {
	Report   Report // of this pass's range only
	Complete bool   // this pass reached the head: a whole sweep is done
	// SweepProblems counts the problems of the sweep so far (of the whole
	// sweep when Complete).
	SweepProblems int
}

// Run verifies one pass every interval until ctx ends, logging problems.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	runEvery(ctx, interval, func() {
		if _, err := s.Pass(ctx); err != nil && ctx.Err() == nil {
			s.opts.Log.ErrorContext(ctx, "audit verify pass failed", slog.Any("err", err))
		}
	})
}

// Pass verifies the next Batch seals of the sweep.
func (s *Sweeper) Pass(ctx context.Context) (SweepResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res SweepResult
	err := s.store.InSnapshot(ctx, func(tx ChainSnapshot) error {
		v := newVerifier(s.keys, &res.Report)
		if s.cursor != nil {
			if err := s.checkCursor(ctx, tx, v); err != nil {
				return err
			}
		}
		done, err := v.run(ctx, tx, s.cursor, s.opts.Batch, nil)
		if err != nil {
			return err
		}
		res.Complete = done
		if !done {
			pos := v.pos
			s.cursor = &pos
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("audit verify pass: %w", err)
	}
	for _, p := range res.Report.Problems {
		s.opts.Log.ErrorContext(ctx, "audit trail does not verify", slog.String("problem", p.String()))
	}
	s.found += len(res.Report.Problems)
	res.SweepProblems = s.found
	if res.Complete {
		s.cursor, s.lastFull, s.found = nil, s.found, 0
	}
	if m := s.opts.Metrics; m != nil {
		m.AuditVerifyProblems(max(res.SweepProblems, s.lastFull))
		if res.Complete && res.SweepProblems == 0 {
			m.AuditChainVerified(s.opts.Now())
		}
	}
	return res, nil
}

// checkCursor makes sure the seal the last pass ended on is still there
// with the hash it had. If older events aged out past it meanwhile, the
// sweep starts again from the new first seal.
func (s *Sweeper) checkCursor(ctx context.Context, tx ChainSnapshot, v *verifier) error {
	hash, found, err := tx.SealHash(ctx, s.cursor.seq)
	switch {
	case err != nil:
		return err
	case !found:
		first, err := tx.FirstSeq(ctx)
		if err != nil {
			return err
		}
		if first <= s.cursor.seq {
			v.problem(Problem{Seq: s.cursor.seq, Kind: "deleted", Detail: "a seal verified by the previous pass is gone"})
		}
		s.cursor = nil
	case !hmac.Equal(hash, s.cursor.hash):
		v.problem(Problem{Seq: s.cursor.seq, Kind: "edited", Detail: "a seal verified by the previous pass has changed since"})
	}
	return nil
}
