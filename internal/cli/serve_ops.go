package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/metrics"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// sealInterval is how often the server seals new audit events.
const sealInterval = 2 * time.Second

// loadAuditKeys reads TASKBRIDGE_AUDIT_KEY. Production refuses to start
// without it (config enforces that); dev and test use an ephemeral key.
func loadAuditKeys(cfg *config.Config, log *slog.Logger) (*audit.Keys, error) {
	if cfg.Audit.Keys == "" {
		if cfg.Mode == config.ModeProd {
			return nil, errNoProdKey("TASKBRIDGE_AUDIT_KEY")
		}
		log.Warn("TASKBRIDGE_AUDIT_KEY is unset: using an ephemeral audit key; the audit chain sealed now cannot be verified after a restart (TASKBRIDGE_DEV_SECRETS_DIR keeps dev keys, as make run does)")
		return audit.EphemeralKeys()
	}
	return audit.ParseKeys(cfg.Audit.Keys)
}

// background runs the server's side tasks (the audit sealer and verifier,
// the metrics listener) until ctx ends; wait returns once they all have stopped, so
// the database pool is closed only after its last user.
type background struct{ wg sync.WaitGroup }

func (b *background) goRun(fn func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn()
	}()
}

func (b *background) wait() { b.wg.Wait() }

// startOps starts the audit sealer, the scheduled audit verify and, when
// configured, the metrics listener: a separate address that the public
// router never serves (L6).
func startOps(ctx context.Context, env Env, cfg *config.Config, log *slog.Logger, db *postgres.DB, keys *audit.Keys, reg *metrics.Registry) (*background, error) {
	bg := &background{}
	if cfg.Metrics != "" {
		ln, err := net.Listen("tcp", cfg.Metrics)
		if err != nil {
			return nil, fmt.Errorf("listen for metrics on %s: %w", cfg.Metrics, err)
		}
		srv := httpx.NewHTTPServer(reg.Handler(), httpx.ServerOptions{RequestTimeout: cfg.RequestTimeout, ErrorLog: log})
		fmt.Fprintf(env.Stdout, "  metrics: http://%s/metrics (keep this address private)\n", ln.Addr())
		bg.goRun(func() {
			if err := httpx.Serve(ctx, srv, ln, "", "", cfg.ShutdownTimeout); err != nil {
				log.ErrorContext(ctx, "metrics listener stopped", slog.Any("err", err))
			}
		})
	}
	sealer := audit.NewSealer(postgres.NewAuditChain(db), keys, audit.SealerOptions{Log: log, Metrics: reg})
	bg.goRun(func() { sealer.Run(ctx, sealInterval) })
	// The scheduled `audit verify` (L5): every replica sweeps the chain on
	// its own, so one stopped replica leaves the others checking. An
	// ephemeral key (development) cannot verify what an earlier process
	// sealed, so there is nothing to sweep with.
	if !keys.Ephemeral() {
		sweeper := audit.NewSweeper(postgres.NewAuditChain(db), keys, audit.SweeperOptions{Log: log, Metrics: reg})
		bg.goRun(func() { sweeper.Run(ctx, cfg.Audit.VerifyInterval) })
	}
	return bg, nil
}
