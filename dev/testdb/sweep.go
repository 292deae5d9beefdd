package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

// A test binary killed by a test timeout or a crash never runs its clean-up.
// The sweeps below remove what such binaries left behind on this host, judged
// by whether the process that made a thing still exists.

// ownerCommentPrefix marks databases and roles made by this package; the rest
// of the comment names the host and process that made them.
const ownerCommentPrefix = "taskbridge testdb: "

// unclaimedClusterAge is how old a cluster directory without an owner file
// must be before it counts as abandoned rather than still being created.
const unclaimedClusterAge = 10 * time.Minute

func ownerComment() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%shost=%s pid=%d", ownerCommentPrefix, host, os.Getpid())
}

// orphaned reports whether comment was written by ownerComment in a process
// on this host that no longer exists.
func orphaned(comment string) bool {
	rest, ok := strings.CutPrefix(comment, ownerCommentPrefix)
	if !ok {
		return false
	}
	var host string
	pid := 0
	for _, field := range strings.Fields(rest) {
		key, value, _ := strings.Cut(field, "=")
		switch key {
		case "host":
			host = value
		case "pid":
			pid, _ = strconv.Atoi(value)
		}
	}
	thisHost, err := os.Hostname()
	if err != nil || host != thisHost || pid <= 0 {
		return false
	}
	return !processExists(pid)
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// sweepOrphanedDatabases drops databases and roles whose owning test process
// is gone. It is best effort: a parallel sweep may win the race, and a failure
// here must not fail the tests.
func sweepOrphanedDatabases(ctx context.Context, conn *pgx.Conn) {
	databases := orphanedNames(ctx, conn, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname LIKE 'tb\_%'`)
	for _, name := range databases {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
	}
	roles := orphanedNames(ctx, conn, `SELECT rolname, coalesce(shobj_description(oid, 'pg_authid'), '')
		FROM pg_roles WHERE rolname LIKE 'tb\_app\_%'`)
	for _, name := range roles {
		_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+quoteIdent(name))
	}
}

// orphanedNames runs a query of (name, comment) rows and keeps the names
// whose comment marks them as orphaned.
func orphanedNames(ctx context.Context, conn *pgx.Conn, query string) []string {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name, comment string
		if rows.Scan(&name, &comment) == nil && orphaned(comment) {
			names = append(names, name)
		}
	}
	return names
}

// sweepStaleClusters stops and deletes throwaway clusters under the temp
// directory whose owning test process is gone.
func sweepStaleClusters(ctx context.Context, bins pgcluster.Binaries, account *pgcluster.Account) {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), clusterDirPrefix+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		if !clusterAbandoned(dir) {
			continue
		}
		dataDir := filepath.Join(dir, "data")
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err == nil {
			stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := pgcluster.StopServer(stopCtx, account, bins, dir, "immediate")
			cancel()
			if err != nil {
				continue // not ours to remove, or still in use: leave it alone
			}
		}
		_ = os.RemoveAll(dir)
	}
}

func clusterAbandoned(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, ownerFileName)) // #nosec G304 -- a throwaway cluster directory this harness created, never input
	if errors.Is(err, os.ErrNotExist) {
		st, err := os.Stat(dir)
		return err == nil && time.Since(st.ModTime()) > unclaimedClusterAge
	}
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	return err == nil && pid > 0 && !processExists(pid)
}
