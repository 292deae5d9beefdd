package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/metrics"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// wireAuth builds the account service and the OAuth server, each from the
// ones before it: the sessions first, which OAuth asks who is signed in;
// then the OAuth server, whose grants the account page lists and revokes
// ("Connected apps"); then the account service on both.
func wireAuth(cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, auditLog postgres.AuditAppender, m account.Metrics, oauthMetrics oauth.Metrics, log *slog.Logger) (*account.Service, *oauth.Server, error) {
	sessions, err := account.NewSessions(account.SessionOptions{
		DB: db, Log: log, HTTPS: cfg.HTTPS(),
		TTL:         cfg.Accounts.SessionTTL,
		IdleTimeout: cfg.Accounts.SessionIdleTimeout,
	})
	if err != nil {
		return nil, nil, err
	}
	srv := oauth.New(cfg, db, keys, accountAuthn{sessions}, auditLog, log, oauth.WithMetrics(oauthMetrics), oauth.WithTokenCacheTTL(cfg.OAuth.TokenCacheTTL))
	accounts, err := newAccounts(cfg, db, keys, auditLog, m, log, sessions, oauthGrants{srv})
	if err != nil {
		return nil, nil, err
	}
	return accounts, srv, nil
}

// accountAuthn is the account sessions as OAuth's login seam. Only a user
// who has accepted the current privacy policy counts as signed in for
// linking an app; anyone else goes through the login page, which forwards
// a signed-in user to the policy consent page and then back (C3).
type accountAuthn struct{ sessions *account.Sessions }

func (a accountAuthn) CurrentUser(r *http.Request) (uuid.UUID, bool) {
	u, ok := a.sessions.ConsentedUser(r)
	return u.ID, ok
}

func (accountAuthn) LoginURL(next string) string { return account.LoginURL(next) }

// oauthGrants is the OAuth server as the account page's Connected apps.
type oauthGrants struct{ srv *oauth.Server }

func (g oauthGrants) ListGrants(ctx context.Context, userID uuid.UUID) ([]account.GrantView, error) {
	list, err := g.srv.ListGrants(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]account.GrantView, len(list))
	for i, v := range list {
		out[i] = account.GrantView{ID: v.ID, ClientName: v.ClientName, ClientID: v.ClientID, Scopes: v.Scopes, CreatedAt: v.CreatedAt}
		if v.LastUsedAt != nil {
			out[i].LastUsedAt = *v.LastUsedAt
		}
	}
	return out, nil
}

func (g oauthGrants) RevokeGrant(ctx context.Context, userID, grantID uuid.UUID) error {
	err := g.srv.RevokeGrant(ctx, userID, grantID)
	if errors.Is(err, oauth.ErrNotFound) {
		return account.ErrGrantNotFound
	}
	return err
}

// accountMetrics counts login failures and throttling in Prometheus.
type accountMetrics struct{ reg *metrics.Registry }

func (m accountMetrics) LoginFailed()           { m.reg.LoginFailed() }
func (m accountMetrics) Throttled(route string) { m.reg.RateLimited(route) }
