package privacy

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/page"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// DefaultDeletionRequestTTL is how long a deletion started by an app waits
// for the human confirmation when Options leaves it zero.
const DefaultDeletionRequestTTL = 24 * time.Hour

// ConsentLister lists a user's consent decisions and revocations; the OAuth
// server implements it.
type ConsentLister interface {
	ListConsentRecords(ctx context.Context, userID uuid.UUID) ([]oauth.ConsentRecord, error)
}

// Options configures a Service. DB and Keys are required.
type Options struct {
	DB *postgres.DB
	// Keys open the task notes that an export returns in plain text.
	Keys *keyring.Keyring
	// Accounts is the signed-in session, CSRF and password re-check of the
	// account pages; nil serves the API and /privacy only.
	Accounts *account.Service
	// Consents is the source of the consent records view (nil: none).
	Consents ConsentLister
	// PublicURL is the external base URL (no trailing slash): the API and
	// the MCP tool return the account page's address under it.
	PublicURL string
	// DeletionRequestTTL: see config.PrivacyConfig (default 24h).
	DeletionRequestTTL time.Duration
	// ExportsPerHour caps one user's exports an hour on this replica,
	// account page and API together (default DefaultExportsPerHour).
	ExportsPerHour int
	// PolicyMarkdown is PRIVACY.md, served rendered at /privacy.
	PolicyMarkdown []byte
	Log            *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Audit records exports, erasures and deletion requests (required).
	Audit AuditLog
	// Tokens, when set, forgets this replica's cached token verifications
	// after an erasure, so the erased user's tokens get 401 on the very next
	// request here (other replicas within oauth.TokenCacheTTL).
	Tokens TokenCache
}

// TokenCache is the OAuth server's verified-token cache.
type TokenCache interface{ ForgetVerifiedTokens() }

// Service serves a user's data rights: export, erasure, deletion requests,
// the consent-records page and the privacy policy page.
type Service struct {
	db        *postgres.DB
	export    *postgres.DataExport
	accounts  *account.Service
	consents  ConsentLister
	tokens    TokenCache
	publicURL string
	reqTTL    time.Duration
	log       *slog.Logger
	now       func() time.Time
	audit     AuditLog
	exports   *exportGate
	pages     *page.Pages
	policy    template.HTML
}

// New builds the Service and renders the policy page once.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Keys == nil || o.Audit == nil {
		return nil, errors.New("privacy: Options.DB, Keys and Audit are required")
	}
	s := &Service{
		db: o.DB, export: postgres.NewDataExport(o.Keys), accounts: o.Accounts, consents: o.Consents, tokens: o.Tokens,
		publicURL: o.PublicURL, reqTTL: o.DeletionRequestTTL, log: o.Log, now: o.Now, audit: o.Audit,
		exports: newExportGate(o.ExportsPerHour),
	}
	if s.reqTTL <= 0 {
		s.reqTTL = DefaultDeletionRequestTTL
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.pages, err = parsePages(s.log); err != nil {
		return nil, err
	}
	if s.policy, err = RenderMarkdown(o.PolicyMarkdown); err != nil {
		return nil, fmt.Errorf("render privacy policy: %w", err)
	}
	return s, nil
}

// AccountDataPath is the page where a user exports, reviews consents and
// deletes the account.
const AccountDataPath = "/account/data"

// ConfirmDeletionURL is the absolute address of the human step of a
// deletion started by an app (P6).
func (s *Service) ConfirmDeletionURL() string { return s.publicURL + AccountDataPath + "#delete" }
