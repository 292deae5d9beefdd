package config

import (
	"fmt"
	"time"
)

// AccountsConfig tunes sessions and login rate limits (A7).
type AccountsConfig struct {
	SessionTTL         time.Duration
	SessionIdleTimeout time.Duration
	LoginRatePerMinute int
	// FormRatePerMinute caps each signed-in form's posts per user.
	FormRatePerMinute int
}

func accountsVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_SESSION_TTL", Default: "12h", Help: "Absolute lifetime of a browser session after login (5m to 7 days).",
			set: func(c *Config, s string) error {
				return parseDuration(&c.Accounts.SessionTTL, s, 5*time.Minute, 7*24*time.Hour)
			}},
		{Name: "TASKBRIDGE_SESSION_IDLE_TIMEOUT", Default: "30m", Help: "A browser session unused this long ends (1m to 24h, and not longer than TASKBRIDGE_SESSION_TTL).",
			set: func(c *Config, s string) error {
				if err := parseDuration(&c.Accounts.SessionIdleTimeout, s, time.Minute, 24*time.Hour); err != nil {
					return err
				}
				if ttl := c.Accounts.SessionTTL; ttl > 0 && c.Accounts.SessionIdleTimeout > ttl {
					return fmt.Errorf("%s is longer than TASKBRIDGE_SESSION_TTL (%s)", c.Accounts.SessionIdleTimeout, ttl)
				}
				return nil
			}},
		{Name: "TASKBRIDGE_LOGIN_RATE_PER_MINUTE", Default: "10", Help: "Login and sign-up form submissions allowed per client IP per minute, per replica (1-1000); more get 429.",
			set: func(c *Config, s string) error {
				var v int64
				if err := parseInt64(&v, s, 1, 1000); err != nil {
					return err
				}
				c.Accounts.LoginRatePerMinute = int(v)
				return nil
			}},
		{Name: "TASKBRIDGE_ACCOUNT_FORM_RATE_PER_MINUTE", Default: "30", Help: "Posts of each signed-in form (log out, disconnect an app, consent pages, delete the account) allowed per user per minute, per replica (1-1000); more get 429.",
			set: intIn(func(c *Config) *int { return &c.Accounts.FormRatePerMinute }, 1, 1000)},
	}
}
