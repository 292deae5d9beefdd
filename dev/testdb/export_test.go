package testdb

import (
	"context"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

// Hooks for the external tests; not part of the package API.

var ErrNoBinaries = pgcluster.ErrNoBinaries

func ClusterDir(c *Cluster) string { return c.root }

func SweepServer(ctx context.Context, serverAdminURL string) { sweepServer(ctx, serverAdminURL) }

// SweepStaleClusters is what NewCluster does first.
func SweepStaleClusters(ctx context.Context) {
	bins, err := pgcluster.FindBinaries()
	if err != nil {
		return
	}
	account, err := pgcluster.ServerAccount()
	if err != nil {
		return
	}
	sweepStaleClusters(ctx, bins, account)
}
