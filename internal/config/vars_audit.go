package config

import (
	"github.com/taskbridge/taskbridge/internal/audit"
)

// AuditConfig configures the tamper-evident audit trail.
type AuditConfig struct {
	// Keys is the audit key spec (see audit.ParseKeys); empty outside prod
	// means an ephemeral key.
	Keys string
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
	}
}
