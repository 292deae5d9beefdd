package cli_test

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/migrations"
)

// TestMigrateUpIsQuietInLogs: outside a terminal (a pipe, a log collector)
// `migrate up` writes one summary line, no per-step redraws, and keeps
// stdout to the version line.
func TestMigrateUpIsQuietInLogs(t *testing.T) {
	db := tdb.NewEmpty(t)
	env := envFrom(map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL})
	latest, err := postgres.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	run := func() (stdout, stderr string) {
		t.Helper()
		var out, errOut capture.Buffer
		if err := cli.Run(context.Background(), cli.Env{Args: []string{"migrate", "up"}, Getenv: env, Stdout: &out, Stderr: &errOut}); err != nil {
			t.Fatalf("migrate up: %v\n%s", err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	// Versions may have gaps (numbers are assigned per feature), so the
	// count of migrations is the count of up files, not the latest version.
	ups, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, applied := range []uint{uint(len(ups)), 0} {
		stdout, stderr := run()
		if want := fmt.Sprintf("schema version %d (binary has migrations up to %d)\n", latest, latest); stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		summary := regexp.MustCompile(fmt.Sprintf(`^migrate up: %d done in [0-9.]+[mµn]?s\n$`, applied))
		if !summary.MatchString(stderr) || strings.ContainsAny(stderr, "\r\x1b") {
			t.Errorf("stderr %q: want only the summary line for %d migrations", stderr, applied)
		}
	}
}
