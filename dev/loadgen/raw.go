package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// RawOptions configure the database ceiling run.
type RawOptions struct {
	DB       *postgres.DB
	Tasks    *postgres.Tasks
	Users    []uuid.UUID
	Clients  int
	Duration time.Duration
	MaxCalls int
	// Audit, when set, adds to every transaction the audit row a tool call
	// writes (one insert, sent with the commit): the ceiling of the work a
	// tool call must do, rather than of the read alone.
	Audit postgres.AuditAppender
}

// rawEventType marks the audit rows of the audited ceiling run, so they
// cannot be mistaken for tool calls.
const rawEventType = "bench.raw_ceiling"

// RawCeiling runs the read shape of list_tasks straight through pgx (the
// same pipelined user transaction a tool call uses, postgres.InUserPipeline:
// BEGIN, the RLS setting and the list query in one round trip, COMMIT in a
// second; nothing else: no HTTP, no JSON-RPC, no token, and no audit row
// unless o.Audit is set) with the same concurrency, and returns
// transactions per second. A tool call cannot be faster than this on the
// same database; the ratio of the two is how much the server costs on top.
func RawCeiling(ctx context.Context, o RawOptions) (float64, error) {
	if o.DB == nil || o.Tasks == nil || len(o.Users) == 0 {
		return 0, errors.New("loadgen: raw ceiling needs a database, the task store and users")
	}
	if o.Clients <= 0 || o.Clients > MaxClients || o.Duration <= 0 || o.Duration > MaxDuration {
		return 0, errors.New("loadgen: raw ceiling: clients or duration out of range")
	}
	if o.MaxCalls <= 0 || o.MaxCalls > MaxCallsCap {
		o.MaxCalls = MaxCallsCap
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	f := task.Filter{Limit: 25}
	if err := f.Normalize(); err != nil {
		return 0, err
	}
	var (
		done     atomic.Int64
		budget   atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	budget.Store(int64(o.MaxCalls))
	start := time.Now()
	for i := range o.Clients {
		user := o.Users[i%len(o.Users)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && budget.Add(-1) >= 0 {
				err := o.DB.InUserPipeline(ctx, user, func(tx *postgres.PipelineTx) error {
					tasks, _, err := o.Tasks.List(ctx, tx, f, nil)
					if err != nil || o.Audit == nil {
						return err
					}
					return o.Audit.Append(ctx, tx.Deferred(), audit.Event{Type: rawEventType, Outcome: audit.OutcomeSuccess,
						ActorID: user, Detail: map[string]any{"tool": "list_tasks", "count": len(tasks)}})
				})
				if err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err })
					}
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("raw ceiling: %w", firstErr)
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}
