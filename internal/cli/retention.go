package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/taskbridge/taskbridge/internal/metrics"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/progress"
)

// runRetention is `taskbridge retention run`: one retention pass now, as
// the server's own role (for cron, or to check what the scheduler inside
// serve does). A pass already running elsewhere makes it a no-op.
func runRetention(ctx context.Context, env Env, args []string) error {
	if len(args) != 1 || args[0] != "run" {
		return fmt.Errorf("%w: taskbridge retention run", ErrUsage)
	}
	cfg, err := operatorConfig()(env.Getenv)
	if err != nil {
		return err
	}
	deps, err := openOperator(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer deps.db.Close()
	log, keys, db := deps.log, deps.keys, deps.db
	auditLog := deps.auditLog
	ret, err := newRetention(cfg, db, auditLog, oauth.NewStore(db, keys, auditLog), metrics.Nop{}, log)
	if err != nil {
		return err
	}
	bar := progress.New(env.Stderr, "retention", 0)
	rep, err := ret.Run(ctx, time.Now(), func(_ string, n int64) { bar.Add(n) })
	if err != nil {
		bar.Done("retention: failed")
		return err
	}
	if !rep.Ran {
		bar.Done("retention: another pass is running; this one did nothing")
		return nil
	}
	bar.Done(fmt.Sprintf("retention: %d rows removed", rep.Total()))
	kinds := make([]string, 0, len(rep.Removed))
	for k := range rep.Removed {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Fprintf(env.Stdout, "%-20s %d\n", k, rep.Removed[k])
	}
	return nil
}
