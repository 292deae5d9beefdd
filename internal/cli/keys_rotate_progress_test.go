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
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// TestKeysRotateIsQuietInLogs: outside a terminal `keys rotate` writes one
// progress summary line on stderr (no per-batch redraws) and its result on
// stdout.
func TestKeysRotateIsQuietInLogs(t *testing.T) {
	ctx := context.Background()
	db := tdb.NewMigrated(t)
	oldSpec, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	newSpec, err := keyring.Generate("k2")
	if err != nil {
		t.Fatal(err)
	}
	oldKeys, err := keyring.Parse(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	var owner uuid.UUID
	if err := db.Admin(t).QueryRow(ctx, `INSERT INTO users (email) VALUES ('rotate@example.com') RETURNING id`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	app, err := postgres.Open(ctx, db.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	const notes = 3
	store := postgres.NewTasks(oldKeys)
	for i := range notes {
		in := task.NewTask{Title: fmt.Sprintf("task %d", i), Notes: "sealed under k1"}
		if err := in.Normalize(); err != nil {
			t.Fatal(err)
		}
		if err := app.InUserTx(ctx, owner, func(tx postgres.Querier) error { _, err := store.Create(ctx, tx, in); return err }); err != nil {
			t.Fatal(err)
		}
	}

	var stdout, stderr capture.Buffer
	err = cli.Run(ctx, cli.Env{Args: []string{"keys", "rotate"}, Stdout: &stdout, Stderr: &stderr, Getenv: envFrom(map[string]string{
		"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL, "TASKBRIDGE_ENCRYPTION_KEYS": newSpec + "," + oldSpec,
	})})
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), fmt.Sprintf("re-encrypted %d notes", notes)) {
		t.Errorf("stdout %q", stdout.String())
	}
	summary := regexp.MustCompile(fmt.Sprintf(`^keys rotate: %d done in [0-9.]+[mµn]?s\n$`, notes))
	if !summary.MatchString(stderr.String()) || strings.ContainsAny(stderr.String(), "\r\x1b") {
		t.Errorf("stderr %q: want only the progress summary line", stderr.String())
	}
}
