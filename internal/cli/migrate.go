package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/progress"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: taskbridge migrate up | down N | version", ErrUsage)
	}
	cfg, err := migrateConfig(env.Getenv)
	if err != nil {
		return err
	}
	url := cfg.MigrateDatabaseURL
	switch args[0] {
	case "up":
		if len(args) != 1 {
			return fmt.Errorf("%w: migrate up takes no arguments", ErrUsage)
		}
		if err := migrateUpWithProgress(ctx, env, url); err != nil {
			return err
		}
		return printVersion(ctx, env, url)
	case "down":
		if len(args) != 2 {
			return fmt.Errorf("%w: migrate down N (the number of migrations to roll back)", ErrUsage)
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			return fmt.Errorf("%w: migrate down needs a positive number, got %q", ErrUsage, args[1])
		}
		if err := postgres.MigrateDown(ctx, url, n); err != nil {
			return err
		}
		return printVersion(ctx, env, url)
	case "version":
		return printVersion(ctx, env, url)
	}
	return fmt.Errorf("%w: unknown migrate command %q (up, down N, version)", ErrUsage, args[0])
}

func printVersion(ctx context.Context, env Env, url string) error {
	st, err := postgres.MigrationVersion(ctx, url)
	if err != nil {
		return err
	}
	latest, err := postgres.LatestMigration()
	if err != nil {
		return err
	}
	switch {
	case st.None:
		fmt.Fprintf(env.Stdout, "schema: empty (binary has migrations up to %d)\n", latest)
	case st.Dirty:
		return fmt.Errorf("schema version %d is dirty: a migration failed half-way; fix it by hand, then `migrate force` is deliberately not offered", st.Version)
	default:
		fmt.Fprintf(env.Stdout, "schema version %d (binary has migrations up to %d)\n", st.Version, latest)
	}
	return nil
}

// migrateUpWithProgress applies migrations one at a time: on a terminal a
// status line counts them; in a pipe or a log only the summary line appears
// (on stderr, so stdout stays the version line scripts read).
func migrateUpWithProgress(ctx context.Context, env Env, url string) error {
	var bar *progress.Bar
	err := postgres.MigrateUpSteps(ctx, url,
		func(pending int) { bar = progress.New(env.Stderr, "migrate up", int64(pending)) },
		func(uint) { bar.Add(1) })
	if bar != nil {
		if err != nil {
			bar.Done("migrate up: stopped after an error")
		} else {
			bar.Done("")
		}
	}
	return err
}
