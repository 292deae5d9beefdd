package config

import (
	"strings"
	"testing"
)

// The migration job in production gets the owner role's URL and nothing
// secret besides it (P2); it must start on exactly that, and be refused
// without the URL.
func TestMigrationNeedsOnlyTheOwnerRoleInProduction(t *testing.T) {
	job := map[string]string{
		"TASKBRIDGE_ENV":                  "prod",
		"TASKBRIDGE_MIGRATE_DATABASE_URL": "postgres://taskbridge_owner:pw@db:5432/taskbridge",
	}
	if _, err := Load(env(job), UseOwnerDB); err != nil {
		t.Fatalf("migration job without keys or public URL refused: %v", err)
	}
	delete(job, "TASKBRIDGE_MIGRATE_DATABASE_URL")
	_, err := Load(env(job), UseOwnerDB)
	if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_MIGRATE_DATABASE_URL: required") {
		t.Fatalf("migration job without the owner URL: %v", err)
	}
}

// serve in production is refused for every secret it uses, each named on
// its own line, whatever else is set.
func TestServingInProductionNamesEveryMissingSecret(t *testing.T) {
	_, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "prod", "TASKBRIDGE_PUBLIC_URL": "https://tasks.example.com"}), Serving()...)
	if err == nil {
		t.Fatal("serve in production without database URL or secrets loaded")
	}
	for _, name := range []string{"DATABASE_URL", "TASKBRIDGE_ENCRYPTION_KEYS", "TASKBRIDGE_AUDIT_KEY", "TASKBRIDGE_MCP_STATE_KEY"} {
		if !strings.Contains(err.Error(), "\n  "+name+": required") {
			t.Errorf("no line for %s in:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "TASKBRIDGE_MIGRATE_DATABASE_URL") {
		t.Errorf("serve does not use the owner role, yet was refused for it:\n%v", err)
	}
}

// Dev and test run on ephemeral secrets, but a database URL a command
// connects with is required in every mode.
func TestDevRequiresTheDatabaseButNoSecrets(t *testing.T) {
	_, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "dev"}), Serving()...)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: required") || strings.Contains(err.Error(), "KEY") {
		t.Fatalf("dev serve without DATABASE_URL: want only the database URL refused, got %v", err)
	}
}
