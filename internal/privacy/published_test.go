package privacy_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/internal/task"
)

// fixedPeriods are the rows of the published table that no variable
// configures, with the code's value.
var fixedPeriods = map[string]time.Duration{
	"Failed sign-in counters": privacy.LoginThrottleRetention(),
	// oauth.Store.PurgeExpiredTokens keeps revoked families one day.
	"Revoked token records": 24 * time.Hour,
}

var periodPhrase = regexp.MustCompile(`(\d+) (second|minute|hour|day)s?\b`)

// publishedPeriod reads the first period of a "kept for" cell ("30 days
// after ...", "runs every 1 hour"), or "off".
func publishedPeriod(cell string) (time.Duration, bool) {
	if m := periodPhrase.FindStringSubmatch(cell); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[m[2]]
		return time.Duration(n) * unit, true
	}
	if strings.Contains(cell, "off") {
		return 0, true
	}
	return 0, false
}

// PRIVACY.md's retention table states the code's defaults (D3): every row
// naming a variable states that variable's default, every fixed row the
// code's constant, and every retention variable of the configuration is
// published. Change a default without the page, or the page without the
// default, and this fails.
func TestPublishedRetentionMatchesDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	defaults := configDefaults()
	published := map[string]bool{}
	rows := 0
	for _, row := range publishedTable(t, string(raw), "| data | kept for | setting |") {
		data, kept, setting := row[0], row[1], row[2]
		rows++
		var want time.Duration
		switch {
		case strings.HasPrefix(setting, "TASKBRIDGE_"):
			def, ok := defaults[setting]
			if !ok {
				t.Errorf("%s: no configuration variable %s", data, setting)
				continue
			}
			if want, err = config.ParsePeriod(def); err != nil {
				t.Errorf("%s: default %q of %s: %v", data, def, setting, err)
				continue
			}
			published[setting] = true
		case setting == "fixed":
			var ok bool
			if want, ok = fixedPeriods[data]; !ok {
				t.Errorf("fixed row %q has no code value in fixedPeriods", data)
				continue
			}
		default:
			continue // "until you delete them": no period
		}
		got, ok := publishedPeriod(kept)
		if !ok {
			t.Errorf("%s: no period in %q", data, kept)
			continue
		}
		if got != want {
			t.Errorf("%s: PRIVACY.md says %q (%s), the code's default is %s", data, kept, got, want)
		}
	}
	if rows < 10 {
		t.Fatalf("only %d rows parsed from the retention table", rows)
	}
	for _, name := range []string{"TASKBRIDGE_RETENTION_TRASH", "TASKBRIDGE_RETENTION_COMPLETED", "TASKBRIDGE_RETENTION_AUDIT",
		"TASKBRIDGE_DELETION_REQUEST_TTL", "TASKBRIDGE_RETENTION_INTERVAL", "TASKBRIDGE_SESSION_TTL", "TASKBRIDGE_SESSION_IDLE_TIMEOUT",
		"TASKBRIDGE_OAUTH_ACCESS_TOKEN_TTL", "TASKBRIDGE_OAUTH_REFRESH_TOKEN_TTL", "TASKBRIDGE_OAUTH_REFRESH_IDLE_TTL", "TASKBRIDGE_OAUTH_CODE_TTL",
		"TASKBRIDGE_OAUTH_UNUSED_CLIENT_TTL"} {
		if !published[name] {
			t.Errorf("%s is not in PRIVACY.md's retention table", name)
		}
	}
	// The prose above the table repeats the pass interval.
	if !strings.Contains(string(raw), "runs every 1 hour") {
		t.Error("PRIVACY.md does not state the retention interval")
	}
}

// TestPolicyVersionMatchesPrivacyMD: the version each consent records (C3)
// is the number at the top of the published policy, so changing the policy
// and its number asks everyone again at their next sign-in.
func TestPolicyVersionMatchesPrivacyMD(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Version (\S+?)\.`).FindSubmatch(raw)
	if m == nil {
		t.Fatal(`PRIVACY.md states no "Version N." line`)
	}
	if got := string(m[1]); got != account.DefaultPrivacyPolicyVersion {
		t.Fatalf("PRIVACY.md is version %q but account.DefaultPrivacyPolicyVersion is %q: change both together", got, account.DefaultPrivacyPolicyVersion)
	}
}

// fixedLimits are the rows of the published limits table that no variable
// configures, with the code's value.
var fixedLimits = map[string]int{
	"Notes of one task": task.MaxNotesLen,
	"Title of one task": task.MaxTitleLen,
	"Tags of one task":  task.MaxTags,
}

var publishedNumber = regexp.MustCompile(`^\d[\d,]*`)

// PRIVACY.md's table of what one account can store states the code's
// limits (I8): a row naming a variable states its default, a fixed row the
// domain's constant, and the task limit is published.
func TestPublishedLimitsMatchDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	defaults := configDefaults()
	seen := map[string]bool{}
	for _, row := range publishedTable(t, string(raw), "| limit | value | setting |") {
		limit, value, setting := row[0], row[1], row[2]
		seen[limit] = true
		n := publishedNumber.FindString(value)
		got, err := strconv.Atoi(strings.ReplaceAll(n, ",", ""))
		if err != nil {
			t.Errorf("%s: no number in %q", limit, value)
			continue
		}
		var want int
		switch {
		case strings.HasPrefix(setting, "TASKBRIDGE_"):
			def, ok := defaults[setting]
			if !ok {
				t.Errorf("%s: no configuration variable %s", limit, setting)
				continue
			}
			if want, err = strconv.Atoi(def); err != nil {
				t.Errorf("%s: default %q of %s: %v", limit, def, setting, err)
				continue
			}
			seen[setting] = true
		case setting == "fixed":
			var fixed bool
			if want, fixed = fixedLimits[limit]; !fixed {
				t.Errorf("fixed row %q has no code value in fixedLimits", limit)
				continue
			}
		default:
			t.Errorf("%s: setting %q is neither a variable nor fixed", limit, setting)
			continue
		}
		if got != want {
			t.Errorf("%s: PRIVACY.md says %q, the code's default is %d", limit, value, want)
		}
	}
	for _, name := range append([]string{"TASKBRIDGE_MAX_TASKS_PER_USER"}, slices.Collect(maps.Keys(fixedLimits))...) {
		if !seen[name] {
			t.Errorf("%s is not in PRIVACY.md's limits table", name)
		}
	}
}

// configDefaults maps every configuration variable to its default.
func configDefaults() map[string]string {
	defaults := map[string]string{}
	for _, v := range config.Vars() {
		defaults[v.Name] = v.Default
	}
	return defaults
}

// publishedTable returns the rows of the three-column table of policy that
// starts with header, cells trimmed and the setting's backquotes removed.
func publishedTable(t *testing.T, policy, header string) [][3]string {
	t.Helper()
	_, table, ok := strings.Cut(policy, header)
	if !ok {
		t.Fatalf("PRIVACY.md has no table %s", header)
	}
	var rows [][3]string
	for _, line := range strings.Split(table, "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 3 {
			t.Fatalf("malformed row %q", line)
		}
		rows = append(rows, [3]string{strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), strings.Trim(strings.TrimSpace(cells[2]), "`")})
	}
	return rows
}
