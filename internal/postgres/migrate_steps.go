package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"

	"github.com/taskbridge/taskbridge/migrations"
)

// MigrateUpSteps applies pending migrations one at a time, as MigrateUp
// does, so an operator command can show progress: start is called once with
// the number pending, then step after each migration with its version.
func MigrateUpSteps(ctx context.Context, databaseURL string, start func(pending int), step func(version uint)) error {
	embedded, err := embeddedVersions()
	if err != nil {
		return err
	}
	return withMigrator(ctx, databaseURL, func(m *migrate.Migrate) error {
		current, dirty, err := m.Version()
		switch {
		case errors.Is(err, migrate.ErrNilVersion):
			current, err = 0, nil
		case err != nil:
			return fmt.Errorf("migration version: %w", err)
		case dirty:
			return fmt.Errorf("migrate up: schema version %d is dirty: a migration failed half-way; fix it by hand", current)
		}
		pending := 0
		for _, v := range embedded {
			if v > current {
				pending++
			}
		}
		start(pending)
		for range pending {
			if err := m.Steps(1); err != nil {
				if errors.Is(err, migrate.ErrNoChange) {
					return nil // another migrator finished the rest
				}
				return fmt.Errorf("migrate up: %w", err)
			}
			v, _, err := m.Version()
			if err != nil {
				return fmt.Errorf("migration version: %w", err)
			}
			step(v)
		}
		return nil
	})
}

// embeddedVersions lists the versions of the migrations in this binary.
func embeddedVersions() ([]uint, error) {
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	seen := map[uint]bool{}
	var out []uint
	for _, e := range entries {
		var v uint
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}
