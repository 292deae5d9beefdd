package config

import (
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
)

// AuditConfig configures the tamper-evident audit trail.
type AuditConfig struct {
	// Keys is the audit key spec (see audit.ParseKeys); empty outside prod
	// means an ephemeral key.
	Keys string
	// VerifyInterval is how often serve runs a pass of its scheduled
	// verify (audit.Sweeper).
	VerifyInterval time.Duration
}

func auditVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_AUDIT_KEY", Secret: true,
			// An ephemeral key would make the chain unverifiable after every
			// restart (L5, O3).
			Required: Requirement{Use: UseAuditKey, ProdOnly: true, Why: "generate one with `openssl rand -base64 32`"},
			Help:     "Key(s) of the audit hash chain and of actor pseudonyms: base64(32 bytes), or kid:base64[,kid:base64...] with the active key first (a bare key has the id k1); keep older ones until the events they sealed have aged out. Required in prod; dev and test use an ephemeral key when unset (the chain then cannot be verified after a restart). Generate with `openssl rand -base64 32`.",
			set: func(c *Config, s string) error {
				if s == "" {
					c.Audit.Keys = ""
					return nil
				}
				if _, err := audit.ParseKeys(s); err != nil {
					return err
				}
				c.Audit.Keys = s
				return nil
			}},
		{Name: "TASKBRIDGE_AUDIT_VERIFY_INTERVAL", Default: "5m", Help: "How often serve re-verifies the next part of the audit chain (at most 100000 seals a pass, from the first seal to the head and round again), feeding taskbridge_audit_verify_problems and taskbridge_audit_verified_timestamp_seconds (1m to 1d; it cannot be switched off).",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Audit.VerifyInterval, s, time.Minute, day, false)
			}},
	}
}
