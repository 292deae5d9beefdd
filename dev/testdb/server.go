package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

const (
	envDatabaseURL  = "TEST_DATABASE_URL"
	envForceCluster = "TESTDB_FORCE_CLUSTER"
	// localServerURL is a development server with trust authentication.
	localServerURL    = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	localProbeTimeout = 2 * time.Second
	// An explicitly configured server gets longer: it may be remote.
	configuredProbeTimeout = 15 * time.Second
	// minServerVersion is PostgreSQL 13, for DROP DATABASE ... WITH (FORCE).
	minServerVersion = 130000
)

// server is where the test databases are created.
type server struct {
	adminURL string
	source   string // for the one line Main prints
	cluster  throwawayCluster
}

func (s server) close() error {
	if s.cluster == nil {
		return nil
	}
	return s.cluster.Close()
}

// throwawayCluster is the part of *Cluster that server selection uses.
type throwawayCluster interface {
	URL() string
	Close() error
}

// serverFinder holds the selection steps' effects, so that the order and the
// failure message are testable without changing the machine.
type serverFinder struct {
	getenv     func(string) string
	probe      func(ctx context.Context, url string) error
	newCluster func(ctx context.Context) (throwawayCluster, error)
}

func defaultServerFinder() serverFinder {
	return serverFinder{
		getenv: os.Getenv,
		probe:  probeServer,
		newCluster: func(ctx context.Context) (throwawayCluster, error) {
			return NewCluster(ctx)
		},
	}
}

// find applies the selection order documented in the package comment.
func (f serverFinder) find(ctx context.Context) (server, error) {
	var tried []string
	if v := f.getenv(envForceCluster); v == "1" {
		tried = append(tried, envDatabaseURL+" and "+localServerURL+": skipped, "+envForceCluster+"=1")
	} else {
		if configured := f.getenv(envDatabaseURL); configured != "" {
			probeCtx, cancel := context.WithTimeout(ctx, configuredProbeTimeout)
			defer cancel()
			if err := f.probe(probeCtx, configured); err != nil {
				return server{}, fmt.Errorf("%s is set but unusable (%s): %w", envDatabaseURL, describeURL(configured), err)
			}
			return server{adminURL: configured, source: envDatabaseURL + " (" + describeURL(configured) + ")"}, nil
		}
		tried = append(tried, envDatabaseURL+": not set")

		probeCtx, cancel := context.WithTimeout(ctx, localProbeTimeout)
		defer cancel()
		err := f.probe(probeCtx, localServerURL)
		if err == nil {
			return server{adminURL: localServerURL, source: "local server " + describeURL(localServerURL)}, nil
		}
		tried = append(tried, localServerURL+": "+err.Error())
	}

	cluster, err := f.newCluster(ctx)
	if err == nil {
		return server{adminURL: cluster.URL(), source: "throwaway cluster " + describeURL(cluster.URL()), cluster: cluster}, nil
	}
	tried = append(tried, "throwaway cluster (initdb + pg_ctl): "+err.Error())
	return server{}, fmt.Errorf("no PostgreSQL server for the tests. Tried, in order:\n  - %s\n"+
		"Install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql) so that initdb and pg_ctl "+
		"are on PATH or under %s, or set %s to a postgres:// URL of a role that may create databases and roles",
		strings.Join(tried, "\n  - "), pgcluster.DebianBinGlob, envDatabaseURL)
}

// probeServer checks that url answers and that its role can do what the
// harness needs.
func probeServer(ctx context.Context, url string) error {
	if _, err := parsePostgresURL(url); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var (
		role      string
		canCreate bool
		version   int
	)
	err = conn.QueryRow(ctx, `
		SELECT rolname, rolsuper OR (rolcreatedb AND rolcreaterole), current_setting('server_version_num')::int
		FROM pg_roles WHERE rolname = current_user`).Scan(&role, &canCreate, &version)
	if err != nil {
		return fmt.Errorf("inspect role: %w", err)
	}
	switch {
	case version < minServerVersion:
		return fmt.Errorf("server version %d is older than PostgreSQL 13", version)
	case !canCreate:
		return errors.New("role " + role + " is neither superuser nor CREATEDB and CREATEROLE")
	}
	return nil
}
