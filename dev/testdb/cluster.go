package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

const (
	clusterDirPrefix = "taskbridge-testdb-"
	ownerFileName    = "owner.pid" // pid of the test process that made the cluster
)

// Cluster is a throwaway PostgreSQL cluster in a temporary directory, for the
// test harness when no server is available and for fault tests that stop and
// restart a server. It listens on 127.0.0.1 only, trusts every connection,
// and trades durability for speed, so it must never hold data anyone needs.
type Cluster struct {
	*pgcluster.Cluster
	root string
}

// NewCluster creates and starts a throwaway cluster. The caller must Close it,
// which stops the server and deletes the directory.
func NewCluster(ctx context.Context) (*Cluster, error) {
	bins, err := pgcluster.FindBinaries()
	if err != nil {
		return nil, err
	}
	account, err := pgcluster.ServerAccount()
	if err != nil {
		return nil, err
	}
	sweepStaleClusters(ctx, bins, account)
	root, err := os.MkdirTemp("", clusterDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	owner := []byte(strconv.Itoa(os.Getpid()) + "\n")
	// #nosec G306 -- the file holds only a pid, which a later run's sweep (possibly another user's) must read
	if err := os.WriteFile(filepath.Join(root, ownerFileName), owner, 0o644); err != nil {
		return nil, errors.Join(fmt.Errorf("record cluster owner: %w", err), os.RemoveAll(root))
	}
	pc, err := pgcluster.Create(ctx, pgcluster.Options{Root: root, Throwaway: true})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("throwaway cluster: %w", err), removeCluster(nil, root))
	}
	return &Cluster{Cluster: pc, root: root}, nil
}

// Close stops the server at once and deletes its directory. It is safe to
// call more than once.
func (c *Cluster) Close() error {
	if c.root == "" {
		return nil
	}
	err := removeCluster(c.Cluster, c.root)
	c.root = ""
	return err
}

// removeCluster stops pc (when it got that far) and deletes root.
func removeCluster(pc *pgcluster.Cluster, root string) error {
	var errs []error
	if pc != nil {
		errs = append(errs, pc.Kill())
	}
	if err := os.RemoveAll(root); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}
