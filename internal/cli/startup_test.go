package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
)

// The production migration job is handed the owner role's URL and no
// secret (P2): `migrate up` must migrate a real database on exactly that.
func TestMigrateUpInProductionNeedsOnlyTheOwnerRole(t *testing.T) {
	db := tdb.NewEmpty(t)
	env := envFrom(map[string]string{"TASKBRIDGE_ENV": "prod", "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL})
	var out, errOut capture.Buffer
	if err := cli.Run(context.Background(), cli.Env{Args: []string{"migrate", "up"}, Getenv: env, Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("migrate up in prod with only the owner URL: %v\n%s", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "schema version ") {
		t.Fatalf("stdout %q: want the schema version line", out.String())
	}
}

// Each command is refused, before it connects anywhere, for every
// variable it uses that is missing, named in the error; and never for one
// it does not use.
func TestEachCommandIsRefusedForExactlyWhatItUses(t *testing.T) {
	full := map[string]string{
		"TASKBRIDGE_ENV":                  "prod",
		"TASKBRIDGE_PUBLIC_URL":           "https://tasks.example.com",
		"DATABASE_URL":                    "postgres://taskbridge_app:pw@db.invalid:5432/taskbridge",
		"TASKBRIDGE_MIGRATE_DATABASE_URL": "postgres://taskbridge_owner:pw@db.invalid:5432/taskbridge",
		"TASKBRIDGE_ENCRYPTION_KEYS":      "k1:" + strings.Repeat("A", 43) + "=",
		"TASKBRIDGE_AUDIT_KEY":            strings.Repeat("B", 43) + "=",
		"TASKBRIDGE_MCP_STATE_KEY":        strings.Repeat("C", 43) + "=",
	}
	uses := map[string][]string{
		"serve":        {"TASKBRIDGE_PUBLIC_URL", "DATABASE_URL", "TASKBRIDGE_ENCRYPTION_KEYS", "TASKBRIDGE_AUDIT_KEY", "TASKBRIDGE_MCP_STATE_KEY"},
		"migrate up":   {"TASKBRIDGE_MIGRATE_DATABASE_URL"},
		"users export": {"TASKBRIDGE_PUBLIC_URL", "DATABASE_URL", "TASKBRIDGE_MIGRATE_DATABASE_URL", "TASKBRIDGE_ENCRYPTION_KEYS", "TASKBRIDGE_AUDIT_KEY"},
		"users delete": {"TASKBRIDGE_PUBLIC_URL", "DATABASE_URL", "TASKBRIDGE_MIGRATE_DATABASE_URL", "TASKBRIDGE_ENCRYPTION_KEYS", "TASKBRIDGE_AUDIT_KEY"},
		"audit verify": {"DATABASE_URL", "TASKBRIDGE_AUDIT_KEY"},
		"keys rotate":  {"TASKBRIDGE_MIGRATE_DATABASE_URL", "TASKBRIDGE_ENCRYPTION_KEYS"},
	}
	for command, names := range uses {
		args := strings.Fields(command)
		if err := cli.CheckConfig(args, envFrom(full)); err != nil {
			t.Errorf("%s with everything set: %v", command, err)
		}
		for name := range full {
			if name == "TASKBRIDGE_ENV" {
				continue
			}
			without := map[string]string{}
			for k, v := range full {
				if k != name {
					without[k] = v
				}
			}
			err := cli.CheckConfig(args, envFrom(without))
			used := false
			for _, n := range names {
				used = used || n == name
			}
			switch {
			case used && (err == nil || !strings.Contains(err.Error(), name)):
				t.Errorf("%s without %s: %v, want a refusal naming it", command, name, err)
			case !used && err != nil:
				t.Errorf("%s does not use %s, yet is refused without it: %v", command, name, err)
			}
		}
	}
}
