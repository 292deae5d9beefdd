package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/internal/task"
)

// PrivacyConfig holds the retention periods and the retention schedule (D3).
// The defaults are the periods PRIVACY.md publishes; a test in
// internal/privacy fails when the two differ.
type PrivacyConfig struct {
	// TrashRetention: tasks in the trash longer than this are deleted.
	TrashRetention time.Duration
	// CompletedRetention: completed tasks older than this are deleted;
	// zero keeps them until the user deletes them.
	CompletedRetention time.Duration
	// AuditRetention: audit events older than this age out of the trail.
	AuditRetention time.Duration
	// DeletionRequestTTL: an account deletion started through the API or
	// the MCP tool waits this long for the human confirmation.
	DeletionRequestTTL time.Duration
	// RetentionInterval is how often serve runs a retention pass; zero
	// leaves it to `taskbridge retention run` (cron).
	RetentionInterval time.Duration
	// RetentionBatch is the number of rows one purge transaction deletes.
	RetentionBatch int
	// APIPerMinute caps the /api requests of one connected app (grant).
	APIPerMinute int
	// ExportsPerHour caps one user's exports (account page and API).
	ExportsPerHour int
	// MaxTasksPerUser bounds what one account stores, the trash included
	// (I8); PRIVACY.md publishes the default.
	MaxTasksPerUser int
}

const day = 24 * time.Hour

func privacyVars() []Var {
	return []Var{
		{Name: "TASKBRIDGE_RETENTION_TRASH", Default: "30d", Help: "Tasks in the trash longer than this are deleted for good (1d to 3650d).",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Privacy.TrashRetention, s, day, 3650*day, false)
			}},
		{Name: "TASKBRIDGE_RETENTION_COMPLETED", Default: "off", Help: "Completed tasks older than this are deleted (1d to 3650d); off keeps them until the user deletes them.",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Privacy.CompletedRetention, s, day, 3650*day, true)
			}},
		{Name: "TASKBRIDGE_RETENTION_AUDIT", Default: "365d", Help: "Audit events older than this age out of the trail (30d to 3650d).",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Privacy.AuditRetention, s, 30*day, 3650*day, false)
			}},
		{Name: "TASKBRIDGE_DELETION_REQUEST_TTL", Default: "24h", Help: "How long an account deletion started by an app waits for the user's confirmation on the account page (10m to 7d).",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Privacy.DeletionRequestTTL, s, 10*time.Minute, 7*day, false)
			}},
		{Name: "TASKBRIDGE_RETENTION_INTERVAL", Default: "1h", Help: "How often serve runs a retention pass, with jitter (1m to 1d); off leaves it to `taskbridge retention run`.",
			set: func(c *Config, s string) error {
				return parsePeriod(&c.Privacy.RetentionInterval, s, time.Minute, day, true)
			}},
		{Name: "TASKBRIDGE_RETENTION_BATCH", Default: "1000", Help: "Rows one retention transaction deletes at most (1-10000), so no pass holds long locks.",
			set: func(c *Config, s string) error {
				var v int64
				if err := parseInt64(&v, s, 1, 10000); err != nil {
					return err
				}
				c.Privacy.RetentionBatch = int(v)
				return nil
			}},
		{Name: "TASKBRIDGE_RATE_API_PER_MINUTE", Default: "30", Help: "Requests to /api (export, account deletion request) accepted per connection (one authorization of an app by a user, kept across token refreshes) per minute, per replica; more get 429.",
			set: intIn(func(c *Config) *int { return &c.Privacy.APIPerMinute }, 1, 10000)},
		{Name: "TASKBRIDGE_EXPORTS_PER_HOUR", Default: "10", Help: "Data exports one user may start per hour, per replica, from the account page and /api/export together (1-1000); one export of an account runs at a time. More get 429.",
			set: intIn(func(c *Config) *int { return &c.Privacy.ExportsPerHour }, 1, 1000)},
		{Name: "TASKBRIDGE_MAX_TASKS_PER_USER", Default: strconv.Itoa(task.DefaultMaxTasksPerUser), Help: "Tasks one account may store, the trash included (1-1000000); at the limit, creating a task is refused with a message saying how to make room. Publish a changed value in PRIVACY.md.",
			set: intIn(func(c *Config) *int { return &c.Privacy.MaxTasksPerUser }, 1, 1000000)},
	}
}

// intIn sets an int field from a whole number within lo-hi.
func intIn(dst func(*Config) *int, lo, hi int64) func(*Config, string) error {
	return func(c *Config, s string) error {
		var v int64
		if err := parseInt64(&v, s, lo, hi); err != nil {
			return err
		}
		*dst(c) = int(v)
		return nil
	}
}

// ParsePeriod reads a retention period: a whole number of days ("30d"), a
// Go duration ("12h", "90m"), or "off" (zero).
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a period like 30d, 12h or off", s)
		}
		return time.Duration(days) * day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a period like 30d, 12h or off", s)
	}
	return d, nil
}

func parsePeriod(dst *time.Duration, s string, lo, hi time.Duration, offAllowed bool) error {
	d, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	if d == 0 && offAllowed {
		*dst = 0
		return nil
	}
	if d < lo || d > hi {
		return fmt.Errorf("%s is outside %s-%s", s, lo, hi)
	}
	*dst = d
	return nil
}
