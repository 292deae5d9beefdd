package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
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
func newRetention(cfg *config.Config, db *postgres.DB, auditLog postgres.AuditAppender, oauthPurges privacy.OAuthPurges, m privacy.RetentionMetrics, log *slog.Logger) (*privacy.Retention, error) {
	return privacy.NewRetention(privacy.RetentionOptions{
		DB: db, OAuth: oauthPurges, Audit: auditLog, Metrics: m, Log: log,
		Batch: cfg.Privacy.RetentionBatch,
		Periods: privacy.Periods{
			Trash: cfg.Privacy.TrashRetention, Completed: cfg.Privacy.CompletedRetention, Audit: cfg.Privacy.AuditRetention,
			SessionIdle: cfg.Accounts.SessionIdleTimeout, RefreshGrace: cfg.OAuth.RefreshGrace,
		},
		AgeOutAudit: postgres.AgeOutAudit,
	})
}

// startRetention starts the retention job in the background (every
// TASKBRIDGE_RETENTION_INTERVAL, jittered; one replica at a time by
// advisory lock).
func startRetention(ctx context.Context, bg *background, cfg *config.Config, db *postgres.DB, auditLog postgres.AuditAppender, oauthStore *oauth.Store, m privacy.RetentionMetrics, log *slog.Logger) error {
	ret, err := newRetention(cfg, db, auditLog, oauthStore, m, log)
	if err != nil {
		return err
	}
	bg.goRun(func() { ret.Schedule(ctx, cfg.Privacy.RetentionInterval, time.Now) })
	return nil
}
