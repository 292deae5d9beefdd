package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// newPrivacy builds the data-rights component (export, erasure, deletion
// requests, /privacy). authServer may be nil (no OAuth: no consent records
// and no token cache to clear).
func newPrivacy(cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, auditLog privacy.AuditLog, accounts *account.Service, authServer *oauth.Server, log *slog.Logger) (*privacy.Service, error) {
	opts := privacy.Options{
		DB: db, Keys: keys, Accounts: accounts, Audit: auditLog, Log: log,
		PublicURL:          cfg.PublicURL.String(),
		DeletionRequestTTL: cfg.Privacy.DeletionRequestTTL,
		ExportsPerHour:     cfg.Privacy.ExportsPerHour,
		PolicyMarkdown:     taskbridge.PrivacyPolicy,
	}
	if authServer != nil {
		opts.Consents, opts.Tokens = authServer, authServer
	}
	return privacy.New(opts)
}

// newRetention builds the retention job from the configured periods (D3).
func newRetention(cfg *config.Config, db *postgres.DB, auditLog postgres.AuditAppender, oauthStore *oauth.Store, m privacy.RetentionMetrics, log *slog.Logger) (*privacy.Retention, error) {
	return privacy.NewRetention(privacy.RetentionOptions{
		DB: db, OAuth: oauthStore, Audit: auditLog, Metrics: m, Log: log,
		Batch: cfg.Privacy.RetentionBatch,
		Periods: privacy.Periods{
			Trash: cfg.Privacy.TrashRetention, Completed: cfg.Privacy.CompletedRetention, Audit: cfg.Privacy.AuditRetention,
			SessionIdle: cfg.Accounts.SessionIdleTimeout, RefreshGrace: cfg.OAuth.RefreshGrace,
		},
		AgeOutAudit: postgres.AgeOutAudit,
	})
}

// consentSource is the OAuth server as the consent-records source, or nil.
// startPrivacy builds the data-rights component and starts the retention
// scheduler in the background (every TASKBRIDGE_RETENTION_INTERVAL,
// jittered; one replica at a time by advisory lock).
func startPrivacy(ctx context.Context, bg *background, cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, auditLog *postgres.AuditLog, accounts *account.Service, authServer *oauth.Server, m privacy.RetentionMetrics, log *slog.Logger) (*privacy.Service, error) {
	svc, err := newPrivacy(cfg, db, keys, auditLog, accounts, authServer, log)
	if err != nil {
		return nil, err
	}
	var store *oauth.Store
	if authServer != nil {
		store = authServer.Store()
	}
	ret, err := newRetention(cfg, db, auditLog, store, m, log)
	if err != nil {
		return nil, err
	}
	bg.goRun(func() { ret.Schedule(ctx, cfg.Privacy.RetentionInterval, time.Now) })
	return svc, nil
}

// accountDeletion is the privacy service as the MCP tool's seam, or nil
// (a nil *privacy.Service must not become a non-nil interface).
func accountDeletion(p *privacy.Service) mcpapi.AccountDeletion {
	if p == nil {
		return nil
	}
	return p
}
