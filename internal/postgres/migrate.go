package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// driver
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/taskbridge/taskbridge/migrations"
)

// MigrationState is the schema version recorded by golang-migrate.
type MigrationState struct {
	Version uint
	Dirty   bool
	None    bool // no migration has run yet
}

// MigrateUp applies every pending migration. databaseURL must name the owner
// role (P2): the runtime role cannot create or alter tables.
func MigrateUp(ctx context.Context, databaseURL string) error {
	return withMigrator(ctx, databaseURL, func(m *migrate.Migrate) error {
		if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return fmt.Errorf("migrate up: %w", err)
		}
		return nil
	})
}

// MigrateDown rolls back the given number of migrations (at least one), so
// that a mistaken `down` cannot wipe the schema in one command.
func MigrateDown(ctx context.Context, databaseURL string, steps int) error {
	if steps < 1 {
		return fmt.Errorf("migrate down: steps must be at least 1, got %d", steps)
	}
	return withMigrator(ctx, databaseURL, func(m *migrate.Migrate) error {
		if err := m.Steps(-steps); err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return fmt.Errorf("migrate down %d: %w", steps, err)
		}
		return nil
	})
}

// MigrationVersion reports the current schema version.
func MigrationVersion(ctx context.Context, databaseURL string) (MigrationState, error) {
	var st MigrationState
	err := withMigrator(ctx, databaseURL, func(m *migrate.Migrate) error {
		v, dirty, err := m.Version()
		if errors.Is(err, migrate.ErrNilVersion) {
			st.None = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("migration version: %w", err)
		}
		st.Version, st.Dirty = v, dirty
		return nil
	})
	return st, err
}

// LatestMigration is the highest version embedded in this binary.
func LatestMigration() (uint, error) {
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	var latest uint
	for _, e := range entries {
		var v uint
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}

func withMigrator(ctx context.Context, databaseURL string, fn func(*migrate.Migrate) error) error {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return fmt.Errorf("open embedded migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, migrateURL(databaseURL))
	if err != nil {
		return fmt.Errorf("connect for migrations: %w", redactURLError(err, databaseURL))
	}
	defer m.Close()

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()
	return fn(m)
}

// migrateURL turns a postgres:// URL into golang-migrate's pgx5:// form.
func migrateURL(u string) string {
	for _, p := range []string{"postgres://", "postgresql://"} {
		if strings.HasPrefix(u, p) {
			return "pgx5://" + strings.TrimPrefix(u, p)
		}
	}
	return u
}

// redactURLError keeps a connection error from echoing the URL's password.
func redactURLError(err error, databaseURL string) error {
	msg := err.Error()
	if pw := urlPassword(databaseURL); pw != "" && strings.Contains(msg, pw) {
		return errors.New(strings.ReplaceAll(msg, pw, "xxxxx"))
	}
	return err
}
