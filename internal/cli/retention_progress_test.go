package cli_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
)

// TestRetentionRunShowsProgressOnATerminalAndIsQuietInLogs: on a terminal
// `retention run` redraws one status line on stderr and replaces it with
// the summary; outside one (a pipe, cron's mail, a log collector) stderr
// gets only the summary line. The per-kind counts go to stdout either way.
func TestRetentionRunShowsProgressOnATerminalAndIsQuietInLogs(t *testing.T) {
	ctx := context.Background()
	db := tdb.NewMigrated(t)
	admin := db.Admin(t)
	user := uuid.New()
	if _, err := admin.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, 'retention-progress@example.test')`, user); err != nil {
		t.Fatal(err)
	}
	// trash puts n tasks in the trash longer ago than the 30 days kept.
	trash := func(n int) {
		t.Helper()
		if _, err := admin.Exec(ctx, `INSERT INTO tasks (owner_id, title, deleted_at)
			SELECT $1, 'old ' || i, now() - interval '31 days' FROM generate_series(1, $2) i`, user, n); err != nil {
			t.Fatal(err)
		}
	}
	encKeys, err := keyring.Generate("e1")
	if err != nil {
		t.Fatal(err)
	}
	auditKey, err := keyring.Generate("a1")
	if err != nil {
		t.Fatal(err)
	}
	// Explicit keys: without them the command warns on stderr about
	// ephemeral ones, and stderr here is what the test reads.
	env := envFrom(map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL,
		"TASKBRIDGE_ENCRYPTION_KEYS": encKeys, "TASKBRIDGE_AUDIT_KEY": auditKey})
	wantStdout := func(n int) string { return fmt.Sprintf("%-20s %d\n", "trashed_tasks", n) }

	t.Run("not a terminal", func(t *testing.T) {
		const n = 3
		trash(n)
		var stdout, stderr capture.Buffer
		if err := cli.Run(ctx, cli.Env{Args: []string{"retention", "run"}, Getenv: env, Stdout: &stdout, Stderr: &stderr}); err != nil {
			t.Fatalf("retention run: %v\n%s", err, stderr.String())
		}
		if want := fmt.Sprintf("retention: %d rows removed\n", n); stderr.String() != want {
			t.Errorf("stderr %q, want only the summary line %q", stderr.String(), want)
		}
		if !strings.Contains(stdout.String(), wantStdout(n)) || strings.ContainsAny(stdout.String(), "\r\x1b") {
			t.Errorf("stdout %q, want the counts (with %q) and no progress", stdout.String(), wantStdout(n))
		}
	})

	t.Run("terminal", func(t *testing.T) {
		const n = 5
		trash(n)
		tty, output := openTerminal(t)
		var stdout capture.Buffer
		if err := cli.Run(ctx, cli.Env{Args: []string{"retention", "run"}, Getenv: env, Stdout: &stdout, Stderr: tty}); err != nil {
			t.Fatalf("retention run: %v\n%s", err, output())
		}
		got := output()
		// The first batch always draws; the status line carries the running
		// count, then the summary replaces it.
		status := regexp.MustCompile(`^\r\x1b\[2Kretention: [0-9]+(, [0-9.]+/s)?`)
		if !status.MatchString(got) {
			t.Errorf("terminal %q: want a status line drawn in place first", got)
		}
		if want := fmt.Sprintf("\r\x1b[2Kretention: %d rows removed\n", n); !strings.HasSuffix(got, want) {
			t.Errorf("terminal %q: want it to end with the summary replacing the status line, %q", got, want)
		}
		if lines := strings.Count(got, "\n"); lines != 1 {
			t.Errorf("terminal %q: %d lines, want the status redrawn on one line and the summary", got, lines)
		}
		if !strings.Contains(stdout.String(), wantStdout(n)) || strings.ContainsAny(stdout.String(), "\r\x1b") {
			t.Errorf("stdout %q, want the counts (with %q) and no progress", stdout.String(), wantStdout(n))
		}
	})
}
