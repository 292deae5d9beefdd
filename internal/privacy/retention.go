package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// What a retention pass removes, in pass order. These are also the metric
// label values and the keys of the pass's audit record.
const (
	KindTrashedTasks     = "trashed_tasks"
	KindCompletedTasks   = "completed_tasks"
	KindSessions         = "sessions"
	KindLoginThrottle    = "login_throttle"
	KindDeletionRequests = "deletion_requests"
	KindOAuthCodes       = "oauth_codes"
	KindOAuthTokens      = "oauth_tokens" // #nosec G101 -- a metric label, not a credential
	KindOAuthClients     = "oauth_clients"
	KindAuditEvents      = "audit_events"
)

// Periods are how long each kind of data is kept (D3). Zero Completed
// keeps completed tasks; zero Audit keeps audit events.
type Periods struct {
	Trash     time.Duration
	Completed time.Duration
	Audit     time.Duration
	// SessionIdle is the accounts idle timeout: a session unused this long
	// is expired even before its absolute lifetime.
	SessionIdle time.Duration
	// RefreshGrace is OAuth's refresh retry window, after which the sealed
	// successor of a rotated refresh token is erased.
	RefreshGrace time.Duration
}

// LoginThrottleRetention is how long failed-login counters are kept after
// the last failure: the accounts policy's longest Forget period.
func LoginThrottleRetention() time.Duration {
	return max(account.DefaultAccountThrottle().Forget, account.DefaultIPThrottle().Forget)
}

// AuditAgeOut removes at most maxEvents audit events older than cutoff in
// a way the audit chain's verifier accepts, and returns how many went.
type AuditAgeOut func(ctx context.Context, tx postgres.Querier, cutoff time.Time, maxEvents int) (int64, error)

// OAuthPurges are the OAuth server's retention purges (*oauth.Store).
// Each removes at most limit rows per table in its own short transaction
// and returns how many went.
type OAuthPurges interface {
	PurgeExpiredCodes(ctx context.Context, now time.Time, limit int) (int64, error)
	PurgeExpiredTokens(ctx context.Context, now time.Time, grace time.Duration, limit int) (int64, error)
	PurgeExpiredClients(ctx context.Context, now time.Time, limit int) (int64, error)
}

// RetentionMetrics counts what passes remove (L6, D10): kinds only, never
// a user. *metrics.Registry implements it.
type RetentionMetrics interface {
	RetentionDeleted(kind string, n int)
}

type nopRetentionMetrics struct{}

func (nopRetentionMetrics) RetentionDeleted(string, int) {}

// RetentionOptions configures a Retention. DB is required.
type RetentionOptions struct {
	DB      *postgres.DB
	Periods Periods
	// Batch is the most rows one transaction deletes (default 1000).
	Batch int
	// OAuth purges expired codes, tokens and unused client registrations;
	// nil skips them.
	OAuth OAuthPurges
	// AgeOutAudit ages audit events out; nil keeps them all.
	AgeOutAudit AuditAgeOut
	Metrics     RetentionMetrics
	Log         *slog.Logger
	// Audit records each pass (required).
	Audit postgres.AuditAppender

	// afterLock runs once the pass holds the lock (tests).
	afterLock func()
}

// Retention runs retention passes.
type Retention struct {
	o RetentionOptions
}

// NewRetention returns a Retention.
func NewRetention(o RetentionOptions) (*Retention, error) {
	if o.DB == nil || o.Audit == nil {
		return nil, errors.New("privacy: RetentionOptions.DB and Audit are required")
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Metrics == nil {
		o.Metrics = nopRetentionMetrics{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Retention{o: o}, nil
}

// PassReport is what one pass did.
type PassReport struct {
	// Ran is false when another runner held the lock and this one did
	// nothing.
	Ran bool
	// Removed counts rows per kind.
	Removed map[string]int64
}

// Total is the number of rows the pass removed.
func (p PassReport) Total() int64 {
	var n int64
	for _, v := range p.Removed {
		n += v
	}
	return n
}

// Run performs one retention pass as of now, unless another runner (this
// or another replica) is in one: then it returns at once with Ran false.
// progress, when not nil, is told every batch (for the CLI's progress bar).
// The pass writes one audit record with its counts, also when it fails.
func (r *Retention) Run(ctx context.Context, now time.Time, progress func(kind string, n int64)) (PassReport, error) {
	rep := PassReport{Removed: map[string]int64{}}
	var err error
	locked, lerr := r.o.DB.WithRetentionLock(ctx, func() { err = r.runLocked(ctx, now, progress, &rep) })
	if lerr != nil {
		return rep, lerr
	}
	rep.Ran = locked
	return rep, err
}

// runLocked is Run once it holds the lock.
func (r *Retention) runLocked(ctx context.Context, now time.Time, progress func(kind string, n int64), rep *PassReport) error {
	if r.o.afterLock != nil {
		r.o.afterLock()
	}
	step := func(kind string, n int64) {
		rep.Removed[kind] += n
		if n > 0 {
			r.o.Metrics.RetentionDeleted(kind, int(n))
		}
		if progress != nil {
			progress(kind, n)
		}
	}
	passErr := r.pass(ctx, now.UTC(), step)
	outcome := audit.OutcomeSuccess
	if passErr != nil {
		outcome = audit.OutcomeError
	}
	detail := map[string]any{"removed": rep.Removed, "total": rep.Total()}
	auditErr := r.o.DB.InSystemTx(context.WithoutCancel(ctx), func(tx postgres.Querier) error {
		return r.o.Audit.Append(ctx, tx, audit.Event{
			Type: eventRetentionPass, Outcome: outcome, RequestID: logging.RequestID(ctx), Detail: detail,
		})
	})
	if passErr != nil {
		return passErr
	}
	if auditErr != nil {
		return fmt.Errorf("retention: audit the pass: %w", auditErr)
	}
	return nil
}

// pass runs every purge in turn; each batch is its own short transaction.
func (r *Retention) pass(ctx context.Context, now time.Time, step func(string, int64)) error {
	p, batch := r.o.Periods, r.o.Batch
	if p.Trash > 0 {
		if err := r.batched(ctx, KindTrashedTasks, step, func(tx postgres.Querier) (int64, error) {
			return postgres.PurgeTrashedTasksBatch(ctx, tx, now, p.Trash, batch)
		}); err != nil {
			return err
		}
	}
	if p.Completed > 0 {
		if err := r.batched(ctx, KindCompletedTasks, step, func(tx postgres.Querier) (int64, error) {
			return postgres.PurgeCompletedTasksBatch(ctx, tx, now, p.Completed, batch)
		}); err != nil {
			return err
		}
	}
	if p.SessionIdle > 0 {
		if err := r.batched(ctx, KindSessions, step, func(tx postgres.Querier) (int64, error) {
			return postgres.PurgeExpiredSessionsBatch(ctx, tx, now, p.SessionIdle, batch)
		}); err != nil {
			return err
		}
	}
	if err := r.batched(ctx, KindLoginThrottle, step, func(tx postgres.Querier) (int64, error) {
		return postgres.PurgeLoginThrottleBatch(ctx, tx, now.Add(-LoginThrottleRetention()), now, batch)
	}); err != nil {
		return err
	}
	if err := r.batched(ctx, KindDeletionRequests, step, func(tx postgres.Querier) (int64, error) {
		return postgres.PurgeDeletionRequestsBatch(ctx, tx, now, batch)
	}); err != nil {
		return err
	}
	if st := r.o.OAuth; st != nil {
		// The OAuth store runs each batch in its own short transaction (at
		// most batch rows per table); repeat until a batch removes nothing.
		for _, purge := range []struct {
			kind string
			fn   func() (int64, error)
		}{
			{KindOAuthCodes, func() (int64, error) { return st.PurgeExpiredCodes(ctx, now, batch) }},
			{KindOAuthTokens, func() (int64, error) { return st.PurgeExpiredTokens(ctx, now, p.RefreshGrace, batch) }},
			{KindOAuthClients, func() (int64, error) { return st.PurgeExpiredClients(ctx, now, batch) }},
		} {
			for {
				n, err := purge.fn()
				if err != nil {
					return fmt.Errorf("retention %s: %w", purge.kind, err)
				}
				step(purge.kind, n)
				if n == 0 {
					break
				}
			}
		}
	}
	if p.Audit > 0 && r.o.AgeOutAudit != nil {
		cutoff := now.Add(-p.Audit)
		// Age-out removes whole chain prefixes up to a checkpoint, so a
		// short batch does not mean the end: repeat until nothing goes.
		for {
			var n int64
			err := r.o.DB.InSystemTx(ctx, func(tx postgres.Querier) error {
				var err error
				n, err = r.o.AgeOutAudit(ctx, tx, cutoff, batch)
				return err
			})
			if err != nil {
				return fmt.Errorf("retention %s: %w", KindAuditEvents, err)
			}
			step(KindAuditEvents, n)
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// batched repeats fn, one transaction per batch, until a batch removes
// fewer rows than the batch size.
func (r *Retention) batched(ctx context.Context, kind string, step func(string, int64), fn func(postgres.Querier) (int64, error)) error {
	for {
		var n int64
		err := r.o.DB.InSystemTx(ctx, func(tx postgres.Querier) error {
			var err error
			n, err = fn(tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("retention %s: %w", kind, err)
		}
		step(kind, n)
		if n < int64(r.o.Batch) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
