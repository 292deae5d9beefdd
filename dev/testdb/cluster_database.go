package testdb

import (
	"context"
	"testing"
)

// NewDatabase creates a fresh, migrated database with its own app login
// role on this cluster, for fault tests that stop and restart the server
// under a running application. The database goes away with the cluster
// (Close), so there is no separate clean-up.
func (c *Cluster) NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	d, err := createDatabase(ctx, c.URL(), testPackageName(), true)
	if err != nil {
		t.Fatalf("testdb: database on the throwaway cluster: %v", err)
	}
	return d
}
