package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/buildinfo"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/metrics"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/server"
	"github.com/taskbridge/taskbridge/internal/tracing"
	"github.com/taskbridge/taskbridge/internal/web"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	migrate := fs.Bool("migrate", false, "apply pending migrations (as TASKBRIDGE_MIGRATE_DATABASE_URL) before serving")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	cfg, err := serveConfig(env.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(env, cfg)
	tuneRuntime(env.Getenv)

	if *migrate || cfg.AutoMigrate {
		if cfg.MigrateDatabaseURL == "" {
			return errMigrateOnStart
		}
		if err := postgres.MigrateUp(ctx, cfg.MigrateDatabaseURL); err != nil {
			return err
		}
		log.InfoContext(ctx, "migrations applied")
	}

	keys, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	traces, err := tracing.Setup(ctx, env.Getenv)
	if err != nil {
		return err
	}
	// Deferred first, run last: after the server has drained and the
	// database closed, the spans still buffered are exported.
	defer flushTraces(ctx, traces, cfg.ShutdownTimeout, log)
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: cfg.DBMaxConns, Tracer: traces.Provider})
	if err != nil {
		return err
	}
	defer db.Close()

	auditKeys, err := loadAuditKeys(cfg, log)
	if err != nil {
		return err
	}
	reg := metrics.New()
	opsCtx, stopOps := context.WithCancel(ctx)
	ops, err := startOps(opsCtx, env, cfg, log, db, auditKeys, reg)
	if err != nil {
		stopOps()
		return err
	}
	defer ops.wait()
	defer stopOps()

	auditLog := postgres.NewAuditLog(auditKeys)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	handler, authServer, err := newHandler(ctx, cfg, log, db, keys, auditLog, reg, traces.Provider, ln.Addr(), buildinfo.Version(env.Version))
	if err != nil {
		_ = ln.Close()
		return err
	}
	if err := startRetention(opsCtx, ops, cfg, db, auditLog, authServer.Store(), reg, log); err != nil {
		_ = ln.Close()
		return err
	}
	srv := httpx.NewHTTPServer(handler, httpx.ServerOptions{
		RequestTimeout: cfg.RequestTimeout, TLSCertFile: cfg.TLSCertFile, TLSKeyFile: cfg.TLSKeyFile, ErrorLog: log,
	})
	log.InfoContext(ctx, "serving", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL.String()), slog.String("mode", string(cfg.Mode)))
	fmt.Fprintf(env.Stdout, "taskbridge is listening on %s\n  open %s to sign up\n  MCP endpoint: %s\n", ln.Addr(), cfg.PublicURL.JoinPath("signup"), cfg.MCPResourceURL())

	err = httpx.Serve(ctx, srv, ln, cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ShutdownTimeout)
	log.InfoContext(context.WithoutCancel(ctx), "stopped")
	return err
}

// newHandler builds every component the routes serve, each from the ones
// built before it, and the handler over them: nothing is filled in later.
// The OAuth server is returned too, for the retention job's purges.
func newHandler(ctx context.Context, cfg *config.Config, log *slog.Logger, db *postgres.DB, keys *keyring.Keyring, auditLog *postgres.AuditLog, reg *metrics.Registry, tracer trace.TracerProvider, addr net.Addr, version string) (http.Handler, *oauth.Server, error) {
	accounts, authServer, err := wireAuth(cfg, db, keys, auditLog, accountMetrics{reg}, reg, log)
	if err != nil {
		return nil, nil, err
	}
	taskPage, err := web.NewTaskPage(accounts, db.InUserTx, postgres.NewTasks(keys), log)
	if err != nil {
		return nil, nil, err
	}
	privacySvc, err := newPrivacy(cfg, db, keys, auditLog, accounts, authServer, log)
	if err != nil {
		return nil, nil, err
	}
	mcp, err := newMCP(cfg, log, db, keys, auditLog, reg, tracer, version, privacySvc)
	if err != nil {
		return nil, nil, err
	}
	opts := []server.Option{server.WithHTTPMetrics(reg.HTTP), server.WithTracer(tracer), server.WithRateLimitCounter(reg.RateLimited)}
	if cfg.MCP.TestFixture {
		authn, err := fixtureAuthenticator(ctx, cfg, log, db, addr)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, server.WithMCPAuthenticator(authn))
	}
	return server.NewServer(cfg, log, db.Ping, accounts, authServer, privacySvc, taskPage, mcp, opts...), authServer, nil
}

// flushTraces exports the spans not yet sent, within the shutdown timeout.
func flushTraces(ctx context.Context, t *tracing.Tracing, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.WarnContext(ctx, "tracing: flush spans", slog.String("err", err.Error()))
	}
}

func newLogger(env Env, cfg *config.Config) *slog.Logger {
	level := new(slog.LevelVar)
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	if cfg.Debug {
		level.Set(slog.LevelDebug)
	}
	return logging.New(env.Stderr, logging.Options{Level: level})
}

// loadKeyring reads the encryption keys. Production refuses to start without
// them (config enforces it); dev and test fall back to an ephemeral key so
// `make run` works, and say loudly that notes will not survive a restart.
func loadKeyring(cfg *config.Config, log *slog.Logger) (*keyring.Keyring, error) {
	spec := cfg.EncryptionKeys
	if spec == "" {
		if cfg.Mode == config.ModeProd {
			return nil, errNoProdKey("TASKBRIDGE_ENCRYPTION_KEYS")
		}
		gen, err := keyring.Generate("ephemeral")
		if err != nil {
			return nil, err
		}
		spec = gen
		log.Warn("TASKBRIDGE_ENCRYPTION_KEYS is unset: using an ephemeral key; task notes written now will be unreadable after a restart (TASKBRIDGE_DEV_SECRETS_DIR keeps dev keys, as make run does)")
	}
	return keyring.Parse(spec)
}

// newAccounts builds the accounts component from the configuration.
func newAccounts(cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, auditLog postgres.AuditAppender, m account.Metrics, log *slog.Logger, sessions *account.Sessions, grants account.GrantLister) (*account.Service, error) {
	return account.New(account.Options{
		DB: db, Sessions: sessions, Keys: keys, Log: log,
		TrustedOrigins:  []string{cfg.PublicURL.Scheme + "://" + cfg.PublicURL.Host},
		RateLimit:       account.RateLimit{Requests: cfg.Accounts.LoginRatePerMinute, Window: time.Minute},
		SessionFormRate: account.RateLimit{Requests: cfg.Accounts.FormRatePerMinute, Window: time.Minute},
		Grants:          grants,
		Audit:           auditLog,
		Metrics:         m,
		MCPURL:          cfg.MCPResourceURL(),
	})
}
