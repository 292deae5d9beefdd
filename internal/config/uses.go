package config

import (
	"errors"
	"fmt"
	"slices"
)

// Use is something a command works with: a database role, the public URL
// or a secret. Each command names its uses and Load requires exactly those
// (P2): the migration job is refused without the owner role's URL and is
// neither refused for nor handed the encryption, audit or MCP state keys it
// never reads, while serve uses them all, so production refuses to serve
// without any of them.
type Use int

const (
	UseAppDB     Use = iota + 1 // DATABASE_URL, the server's role
	UseOwnerDB                  // TASKBRIDGE_MIGRATE_DATABASE_URL, the owner role
	UsePublicURL                // TASKBRIDGE_PUBLIC_URL: https in production
	UseNoteKeys                 // TASKBRIDGE_ENCRYPTION_KEYS
	UseAuditKey                 // TASKBRIDGE_AUDIT_KEY
	UseStateKey                 // TASKBRIDGE_MCP_STATE_KEY
	UseListing                  // TASKBRIDGE_PLUGIN_TERMS_URL and _SUPPORT_URL: the plugin listing's links
)

// Serving is every use of serve: the server's role, the public URL and
// every secret.
func Serving() []Use {
	return []Use{UseAppDB, UsePublicURL, UseNoteKeys, UseAuditKey, UseStateKey}
}

// Requirement makes a variable of the table required by every command that
// declares its Use.
type Requirement struct {
	Use Use
	// ProdOnly: required only in production; dev and test run on an
	// ephemeral value.
	ProdOnly bool
	// Why says what the value is for and how to make one.
	Why string
}

// required reports each variable a declared use needs that is unset.
func (c *Config) required(unset []Var, uses []Use) []error {
	var errs []error
	for _, v := range unset {
		r := v.Required
		if r.Use == 0 || !slices.Contains(uses, r.Use) {
			continue
		}
		switch {
		case !r.ProdOnly:
			errs = append(errs, fmt.Errorf("%s: required by this command: %s", v.Name, r.Why))
		case c.Mode == ModeProd:
			errs = append(errs, fmt.Errorf("%s: required in production: %s", v.Name, r.Why))
		}
	}
	return errs
}

// publicURLCheck refuses a plain-http public URL in production to every
// command that hands it out (O3): OAuth issuers and tokens must not travel
// over plain http.
func (c *Config) publicURLCheck(uses []Use) []error {
	if c.Mode == ModeProd && slices.Contains(uses, UsePublicURL) && c.PublicURL.Scheme != "https" {
		return []error{errors.New("TASKBRIDGE_PUBLIC_URL: production requires an https URL (OAuth issuers and tokens must not travel over plain http)")}
	}
	return nil
}
