package testdb

import "context"

// Hooks for the external tests; not part of the package API.

var ErrNoBinaries = errNoBinaries

func ClusterDir(c *Cluster) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root
}

func SweepServer(ctx context.Context, serverAdminURL string) { sweepServer(ctx, serverAdminURL) }

// SweepStaleClusters is what NewCluster does first.
func SweepStaleClusters(ctx context.Context) {
	bins, err := findPGBinaries()
	if err != nil {
		return
	}
	account, err := serverAccount()
	if err != nil {
		return
	}
	sweepStaleClusters(ctx, bins, account)
}
