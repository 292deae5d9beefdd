package cli

import (
	"context"
	"log/slog"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// operatorDeps is what the operator commands that act as the server
// (retention run, users export, users delete) share: the logger, the
// encryption keys, the audit log and a small pool of the server's role.
type operatorDeps struct {
	log      *slog.Logger
	keys     *keyring.Keyring
	auditLog *postgres.AuditLog
	db       *postgres.DB
}

// openOperator loads the keys and connects as the server role
// (DATABASE_URL); the caller closes db.
func openOperator(ctx context.Context, env Env, cfg *config.Config) (*operatorDeps, error) {
	log := newLogger(env, cfg)
	keys, err := loadKeyring(cfg, log)
	if err != nil {
		return nil, err
	}
	auditKeys, err := loadAuditKeys(cfg, log)
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		return nil, err
	}
	return &operatorDeps{log: log, keys: keys, auditLog: postgres.NewAuditLog(auditKeys), db: db}, nil
}
