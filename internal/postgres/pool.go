package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskbridge/taskbridge/internal/tracing"
)

// RuntimeRole is the NOLOGIN role that holds the server's only privileges.
// Every pooled connection switches to it, so even a DATABASE_URL that names a
// more powerful login role cannot bypass row-level security.
const RuntimeRole = "taskbridge_runtime"

// PoolOptions tunes the pool; zero values take safe defaults.
type PoolOptions struct {
	MaxConns          int32
	StatementTimeout  time.Duration // per statement, set on every connection
	IdleInTxTimeout   time.Duration // a stuck transaction cannot hold locks forever
	ApplicationName   string
	HealthCheckPeriod time.Duration
	// Tracer, when set, adds a span for each transaction (InUserTx,
	// InUserPipeline, InSystemTx); nil adds nothing.
	Tracer trace.TracerProvider
}

// DB is the server's handle on PostgreSQL.
type DB struct {
	Pool   *pgxpool.Pool
	tracer trace.Tracer // nil: no spans
}

// Open connects, switches every connection to RuntimeRole and checks that the
// resulting role cannot bypass row-level security.
func Open(ctx context.Context, databaseURL string, opts PoolOptions) (*DB, error) {
	return open(ctx, databaseURL, opts, nil)
}

// open is Open with a last adjustment of the pool configuration (tests
// count round trips through a dialer of their own).
func open(ctx context.Context, databaseURL string, opts PoolOptions, adjust func(*pgxpool.Config)) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", errors.New(redactedParseError(databaseURL)))
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.HealthCheckPeriod > 0 {
		cfg.HealthCheckPeriod = opts.HealthCheckPeriod
	}
	stmt := durationOr(opts.StatementTimeout, 10*time.Second)
	idle := durationOr(opts.IdleInTxTimeout, 30*time.Second)
	name := opts.ApplicationName
	if name == "" {
		name = "taskbridge"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = name
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(stmt.Milliseconds())
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprint(idle.Milliseconds())
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET ROLE "+RuntimeRole); err != nil {
			return fmt.Errorf("set role %s (is the login role a member of it? see README): %w", RuntimeRole, err)
		}
		return nil
	}
	if adjust != nil {
		adjust(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	db := &DB{Pool: pool}
	if opts.Tracer != nil {
		db.tracer = opts.Tracer.Tracer(tracing.Name)
	}
	if err := db.checkRole(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close releases every connection.
func (db *DB) Close() { db.Pool.Close() }

// Ping reports whether the database answers (the readiness check).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.Pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// ErrUnsafeRole means the server would run with privileges that defeat
// row-level security or least privilege.
var ErrUnsafeRole = errors.New("unsafe database role")

func (db *DB) checkRole(ctx context.Context) error {
	var (
		role             string
		super, bypassRLS bool
		ownsTables       bool
	)
	err := db.Pool.QueryRow(ctx, `
		SELECT r.rolname, r.rolsuper, r.rolbypassrls,
		       EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		               WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'USAGE'))
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&role, &super, &bypassRLS, &ownsTables)
	if err != nil {
		return fmt.Errorf("inspect database role: %w", err)
	}
	switch {
	case super:
		return fmt.Errorf("%w: %s is a superuser", ErrUnsafeRole, role)
	case bypassRLS:
		return fmt.Errorf("%w: %s has BYPASSRLS", ErrUnsafeRole, role)
	case ownsTables:
		return fmt.Errorf("%w: %s owns tables in schema public; connect the server as a member of %s, not the migration owner", ErrUnsafeRole, role, RuntimeRole)
	}
	return nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func urlPassword(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

// redactedParseError describes a bad URL without repeating it: pgx's parse
// errors can include the password.
func redactedParseError(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "not a valid URL"
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Sprintf("scheme %q is not postgres:// or postgresql://", u.Scheme)
	}
	return "invalid connection settings"
}
