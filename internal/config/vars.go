package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// Var is one environment variable: its name, default, meaning and parser.
type Var struct {
	Name    string
	Default string
	Help    string
	Secret  bool // its value must never be printed or logged
	// Required makes it required by the commands that use it.
	Required Requirement
	set      func(c *Config, raw string) error
}

// Vars is the single declaration of every variable, in documentation order.
func Vars() []Var {
	var all []Var
	for _, group := range [][]Var{coreVars(), accountsVars(), mcpVars(), oauthVars(), auditVars(), privacyVars(), pluginVars()} {
		all = append(all, group...)
	}
	return all
}

func coreVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_ENV", Default: "prod", Help: "Mode: dev, test or prod. prod refuses plain-http public URLs, debug output and missing encryption keys.",
			set: func(c *Config, s string) error { return parseMode(&c.Mode, s) }},
		{Name: "TASKBRIDGE_PUBLIC_URL", Default: "http://localhost:8080", Help: "External base URL as hosts reach it (scheme, host, optional port and path prefix; no trailing slash). The OAuth issuer; the MCP endpoint is this plus /mcp.",
			set: func(c *Config, s string) error { return parsePublicURL(&c.PublicURL, s) }},
		{Name: "TASKBRIDGE_ADDR", Default: "127.0.0.1:8080", Help: "Listen address of the HTTP server. Loopback by default; a container sets 0.0.0.0:8080.",
			set: func(c *Config, s string) error { return parseAddr(&c.Addr, s, false) }},
		{Name: "TASKBRIDGE_METRICS_ADDR", Default: "127.0.0.1:9090", Help: "Listen address of the Prometheus metrics endpoint, kept off the public listener. \"off\" disables it.",
			set: func(c *Config, s string) error { return parseAddr(&c.Metrics, s, true) }},
		{Name: "DATABASE_URL", Help: "PostgreSQL URL of the application login role (a member of taskbridge_runtime, not the table owner). Required for serve.", Secret: true,
			Required: Requirement{Use: UseAppDB, Why: "the URL of the server's login role (taskbridge_app), which this command acts as"},
			set:      func(c *Config, s string) error { return parseDBURL(&c.DatabaseURL, s) }},
		{Name: "TASKBRIDGE_MIGRATE_DATABASE_URL", Help: "PostgreSQL URL of the owner role that runs migrations. Required for migrate and for TASKBRIDGE_AUTO_MIGRATE.", Secret: true,
			Required: Requirement{Use: UseOwnerDB, Why: "the URL of the owner role (taskbridge_owner): migrations, key rotation and finding an account by email run as it, never as the server's role"},
			set:      func(c *Config, s string) error { return parseDBURL(&c.MigrateDatabaseURL, s) }},
		{Name: "TASKBRIDGE_AUTO_MIGRATE", Default: "false", Help: "Apply pending migrations (as the owner role) when serve starts.",
			set: func(c *Config, s string) error { return parseBool(&c.AutoMigrate, s) }},
		{Name: "TASKBRIDGE_DB_MAX_CONNS", Default: "10", Help: "Maximum pooled database connections per replica (1-200).",
			set: func(c *Config, s string) error { return parseInt32(&c.DBMaxConns, s, 1, 200) }},
		{Name: "TASKBRIDGE_LOG_LEVEL", Default: "info", Help: "Log level: debug, info, warn or error. Logs are JSON and redacted.",
			set: func(c *Config, s string) error { return parseEnum(&c.LogLevel, s, "debug", "info", "warn", "error") }},
		{Name: "TASKBRIDGE_DEBUG", Default: "false", Help: "Verbose errors and debug logging for development. Refused in prod.",
			set: func(c *Config, s string) error { return parseBool(&c.Debug, s) }},
		{Name: "TASKBRIDGE_TLS_CERT_FILE", Help: "Certificate file to terminate TLS 1.3 in the server itself (optional; usually a reverse proxy terminates TLS).",
			set: func(c *Config, s string) error { c.TLSCertFile = s; return nil }},
		{Name: "TASKBRIDGE_TLS_KEY_FILE", Help: "Private key file for TASKBRIDGE_TLS_CERT_FILE.",
			set: func(c *Config, s string) error { c.TLSKeyFile = s; return nil }},
		{Name: "TASKBRIDGE_TRUSTED_PROXIES", Help: "Comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted for the client IP (rate limits). Empty trusts none.",
			set: func(c *Config, s string) error { return parsePrefixes(&c.TrustedProxies, s) }},
		{Name: "TASKBRIDGE_MAX_BODY_BYTES", Default: "1048576", Help: "Largest request body accepted, in bytes (1 KiB to 16 MiB); larger gets 413.",
			set: func(c *Config, s string) error { return parseInt64(&c.MaxBodyBytes, s, 1<<10, 16<<20) }},
		{Name: "TASKBRIDGE_REQUEST_TIMEOUT", Default: "15s", Help: "Longest time one request may take before it is cut off (1s to 2m).",
			set: func(c *Config, s string) error {
				return parseDuration(&c.RequestTimeout, s, time.Second, 2*time.Minute)
			}},
		{Name: "TASKBRIDGE_SHUTDOWN_TIMEOUT", Default: "20s", Help: "How long a SIGTERM waits for in-flight requests to finish (1s to 5m).",
			set: func(c *Config, s string) error {
				return parseDuration(&c.ShutdownTimeout, s, time.Second, 5*time.Minute)
			}},
		{Name: "TASKBRIDGE_ENCRYPTION_KEYS", Help: "Keys that encrypt task notes at rest (and, through a derived MAC key, name per-IP failed-login counters): kid:base64(32 bytes)[,kid:...], the first is active. Required in prod; when unset, dev keeps one in TASKBRIDGE_DEV_SECRETS_DIR if set, else dev and test use an ephemeral key.", Secret: true,
			Required: Requirement{Use: UseNoteKeys, ProdOnly: true, Why: "generate one with `taskbridge keys generate`"},
			set: func(c *Config, s string) error {
				if s == "" {
					return nil
				}
				if _, err := keyring.Parse(s); err != nil {
					return err
				}
				c.EncryptionKeys = s
				return nil
			}},
		devSecretsVar(),
	}
}

func parseMode(dst *Mode, s string) error {
	switch m := Mode(strings.ToLower(s)); m {
	case ModeDev, ModeTest, ModeProd:
		*dst = m
		return nil
	}
	return fmt.Errorf("%q is not one of dev, test, prod", s)
}

func parsePublicURL(dst **url.URL, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: a host is required", s)
	case u.User != nil:
		return fmt.Errorf("%q: must not contain user information", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q: must not contain a query or fragment", s)
	case strings.HasSuffix(u.Path, "/"):
		return fmt.Errorf("%q: remove the trailing slash (hosts compare the resource URL byte for byte)", s)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("%q: plain http is allowed only for localhost; use https (for example through a tunnel)", s)
	}
	u.Host = strings.ToLower(u.Host)
	*dst = u
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

func parseAddr(dst *string, s string, allowOff bool) error {
	if allowOff && strings.EqualFold(s, "off") {
		*dst = ""
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port must be 0-65535", s)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%q: host must be an IP address, localhost or empty", s)
		}
	}
	*dst = s
	return nil
}

func parseDBURL(dst *string, s string) error {
	if s == "" {
		*dst = ""
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The value is a secret: describe it, never echo it.
		return errors.New("must be a postgres:// or postgresql:// URL")
	}
	*dst = s
	return nil
}

func parseBool(dst *bool, s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*dst = b
	return nil
}

func parseEnum(dst *string, s string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			*dst = a
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
}

func parseInt32(dst *int32, s string, lo, hi int64) error {
	var v int64
	if err := parseInt64(&v, s, lo, hi); err != nil {
		return err
	}
	*dst = int32(v)
	return nil
}

func parseInt(dst *int, s string, lo, hi int64) error {
	var v int64
	if err := parseInt64(&v, s, lo, hi); err != nil {
		return err
	}
	*dst = int(v)
	return nil
}

func parseInt64(dst *int64, s string, lo, hi int64) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	if v < lo || v > hi {
		return fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	*dst = v
	return nil
}

func parseDuration(dst *time.Duration, s string, lo, hi time.Duration) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 15s or 2m", s)
	}
	if d < lo || d > hi {
		return fmt.Errorf("%s is outside %s-%s", d, lo, hi)
	}
	*dst = d
	return nil
}

func parsePrefixes(dst *[]netip.Prefix, s string) error {
	*dst = nil
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		p, err := netip.ParsePrefix(part)
		if err != nil {
			if a, aerr := netip.ParseAddr(part); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return fmt.Errorf("%q is not a CIDR or IP address", part)
			}
		}
		*dst = append(*dst, p.Masked())
	}
	return nil
}
