// Package config reads taskbridge's configuration from the environment only
// (S1: no secrets in files in the repo). Every variable is declared once, in
// the table returned by Vars, with its default, meaning and the command uses
// that require it; Load validates all of them for one command and reports
// every bad or missing value at once.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Mode separates development, test and production behaviour (O2).
type Mode string

const (
	ModeDev  Mode = "dev"
	ModeTest Mode = "test"
	ModeProd Mode = "prod"
)

// Config is the validated configuration.
type Config struct {
	Mode      Mode
	PublicURL *url.URL // the external base URL; the OAuth issuer and the root of the MCP resource URL
	Addr      string
	Metrics   string // metrics listener address; empty disables it

	DatabaseURL        string
	MigrateDatabaseURL string
	AutoMigrate        bool
	DBMaxConns         int32

	LogLevel string
	Debug    bool

	TLSCertFile string
	TLSKeyFile  string

	TrustedProxies []netip.Prefix

	MaxBodyBytes    int64
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration

	EncryptionKeys string // keyring spec, see internal/keyring
	DevSecretsDir  string // dev only: where unset keys are kept (see DevSecretsDirVar)

	MCP      MCPConfig
	Accounts AccountsConfig
	OAuth    OAuthConfig
	Audit    AuditConfig
	Privacy  PrivacyConfig
	Plugin   PluginConfig
}

// MCPResourceURL is the canonical URL of the MCP endpoint: the OAuth
// resource indicator and the audience every access token is bound to (A9).
func (c *Config) MCPResourceURL() string { return c.PublicURL.String() + "/mcp" }

// Issuer is the OAuth authorization server's issuer identifier.
func (c *Config) Issuer() string { return c.PublicURL.String() }

// HTTPS reports whether the public URL is https, which turns on HSTS and
// Secure cookies.
func (c *Config) HTTPS() bool { return c.PublicURL.Scheme == "https" }

// Getenv is os.Getenv's shape, so tests pass a map lookup instead.
type Getenv func(string) string

// Load reads and validates every variable for a command that works with
// uses: each variable one of them requires must be set (see Use). The error
// lists each bad or missing value on its own line.
func Load(getenv Getenv, uses ...Use) (*Config, error) {
	c := &Config{}
	var errs []error
	var unset []Var
	for _, v := range Vars() {
		raw, set := lookup(getenv, v.Name)
		if !set {
			raw = v.Default
			unset = append(unset, v)
		}
		if err := v.set(c, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.Name, err))
		}
	}
	// Rules between variables need every value parsed; a missing one
	// leaves its zero value, which they do not read.
	if len(errs) == 0 {
		errs = append(errs, c.publicURLCheck(uses)...)
		errs = append(errs, c.crossCheck()...)
	}
	errs = append(errs, c.required(unset, uses)...)
	if _, set := lookup(getenv, "TASKBRIDGE_ENV"); !set && slices.ContainsFunc(errs, productionRule) {
		// The usual cause: an operator command run beside a dev server.
		errs = append([]error{errors.New("TASKBRIDGE_ENV: unset, so production rules apply (the lines below); for a local or development database set TASKBRIDGE_ENV=dev")}, errs...)
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return c, nil
}

// Error is every configuration problem found by Load.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.Error()
	}
	return "invalid configuration:\n" + strings.Join(lines, "\n")
}

func (e *Error) Unwrap() []error { return e.Problems }

// productionRule reports whether err is one of production's refusals, which
// all say so ("production requires", "required in production", "refused in
// production").
func productionRule(err error) bool { return strings.Contains(err.Error(), "production") }

func lookup(getenv Getenv, name string) (string, bool) {
	v := strings.TrimSpace(getenv(name))
	return v, v != ""
}

// crossCheck enforces rules between variables that hold for every command
// (O2, D6).
func (c *Config) crossCheck() []error {
	var errs []error
	if c.Mode == ModeProd && c.Debug {
		errs = append(errs, errors.New("TASKBRIDGE_DEBUG: debug output is refused in production"))
	}
	errs = append(errs, c.MCP.check(c.DBMaxConns)...)
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("TASKBRIDGE_TLS_CERT_FILE and TASKBRIDGE_TLS_KEY_FILE must be set together"))
	}
	return errs
}

// TrustedProxyCIDRs renders TrustedProxies as strings.
func (c *Config) TrustedProxyCIDRs() []string {
	out := make([]string, len(c.TrustedProxies))
	for i, p := range c.TrustedProxies {
		out[i] = p.String()
	}
	return out
}
