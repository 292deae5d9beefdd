package testdb

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Main is the whole TestMain of a package that needs PostgreSQL: it picks a
// server, creates and migrates this package's database, sets *db, runs the
// tests, drops the database (and stops a throwaway cluster) and exits with
// the tests' code.
func Main(m *testing.M, db **Database) {
	os.Exit(runMain(m, db))
}

func runMain(m *testing.M, db **Database) int {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	srv, err := defaultServerFinder().find(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	sweepServer(ctx, srv.adminURL)
	d, err := createDatabase(ctx, srv.adminURL, testPackageName(), true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: on %s: %v\n", srv.source, err)
		if err := srv.close(); err != nil {
			fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(os.Stderr, "testdb: using %s, database %s\n", srv.source, d.Name)

	var once sync.Once
	teardown := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
			defer cancel()
			if err := d.drop(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "testdb: clean-up: %v\n", err)
			}
			if err := srv.close(); err != nil {
				fmt.Fprintf(os.Stderr, "testdb: clean-up: %v\n", err)
			}
		})
	}
	stopSignals := teardownOnSignal(teardown)
	defer stopSignals()

	*db = d
	code := m.Run()
	teardown()
	return code
}

// teardownOnSignal cleans up and exits when the run is interrupted: a
// throwaway cluster runs in its own session (pg_ctl calls setsid), so Ctrl-C
// would otherwise leave it running.
func teardownOnSignal(teardown func()) (stop func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			fmt.Fprintf(os.Stderr, "testdb: %v: cleaning up\n", sig)
			teardown()
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
	}
}

// sweepServer removes what killed test binaries of this host left behind.
func sweepServer(ctx context.Context, serverAdminURL string) {
	conn, err := pgx.Connect(ctx, serverAdminURL)
	if err != nil {
		return // createDatabase reports the connection problem
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sweepOrphanedDatabases(ctx, conn)
}
