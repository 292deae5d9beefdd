package testdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

// fakeCluster stands in for a throwaway cluster in the selection-order tests.
type fakeCluster struct{ url string }

func (f fakeCluster) URL() string  { return f.url }
func (f fakeCluster) Close() error { return nil }

// selectionRecorder records which steps the finder tried.
type selectionRecorder struct {
	env        map[string]string
	reachable  map[string]bool
	clusterErr error
	probed     []string
	clusters   int
}

func (r *selectionRecorder) finder() serverFinder {
	return serverFinder{
		getenv: func(k string) string { return r.env[k] },
		probe: func(_ context.Context, url string) error {
			r.probed = append(r.probed, url)
			if r.reachable[url] {
				return nil
			}
			return errors.New("connection refused")
		},
		newCluster: func(context.Context) (throwawayCluster, error) {
			r.clusters++
			if r.clusterErr != nil {
				return nil, r.clusterErr
			}
			return fakeCluster{url: "postgres://postgres@127.0.0.1:40000/postgres?sslmode=disable"}, nil
		},
	}
}

const configuredURL = "postgres://admin:s3cret-pw@db.example:5432/postgres?sslmode=require"

func TestFindPrefersTestDatabaseURL(t *testing.T) {
	r := &selectionRecorder{
		env:       map[string]string{envDatabaseURL: configuredURL},
		reachable: map[string]bool{configuredURL: true, localServerURL: true},
	}
	srv, err := r.finder().find(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.adminURL != configuredURL || srv.cluster != nil {
		t.Fatalf("chose %q (cluster %v), want TEST_DATABASE_URL", srv.adminURL, srv.cluster)
	}
	if len(r.probed) != 1 || r.clusters != 0 {
		t.Fatalf("probed %v and made %d clusters after TEST_DATABASE_URL worked", r.probed, r.clusters)
	}
	if strings.Contains(srv.source, "s3cret-pw") {
		t.Fatalf("source line %q shows the password", srv.source)
	}
}

func TestFindDoesNotFallBackFromBrokenTestDatabaseURL(t *testing.T) {
	r := &selectionRecorder{
		env:       map[string]string{envDatabaseURL: configuredURL},
		reachable: map[string]bool{localServerURL: true},
	}
	_, err := r.finder().find(context.Background())
	if err == nil || !strings.Contains(err.Error(), envDatabaseURL) {
		t.Fatalf("err = %v, want one naming %s", err, envDatabaseURL)
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("error %q shows the password", err)
	}
	if len(r.probed) != 1 || r.clusters != 0 {
		t.Fatalf("fell back (probed %v, %d clusters) although TEST_DATABASE_URL was set", r.probed, r.clusters)
	}
}

func TestFindUsesLocalServerWhenReachable(t *testing.T) {
	r := &selectionRecorder{reachable: map[string]bool{localServerURL: true}}
	srv, err := r.finder().find(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.adminURL != localServerURL || r.clusters != 0 {
		t.Fatalf("chose %q with %d clusters, want the local server", srv.adminURL, r.clusters)
	}
}

func TestFindStartsClusterWhenNoServer(t *testing.T) {
	r := &selectionRecorder{}
	srv, err := r.finder().find(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.cluster == nil || srv.adminURL != srv.cluster.URL() || r.clusters != 1 {
		t.Fatalf("chose %q, want the throwaway cluster", srv.adminURL)
	}
}

func TestFindForcedClusterSkipsServers(t *testing.T) {
	r := &selectionRecorder{
		env:       map[string]string{envDatabaseURL: configuredURL, envForceCluster: "1"},
		reachable: map[string]bool{configuredURL: true, localServerURL: true},
	}
	srv, err := r.finder().find(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.cluster == nil || len(r.probed) != 0 {
		t.Fatalf("chose %q after probing %v, want the cluster and no probes", srv.adminURL, r.probed)
	}
}

func TestFindExplainsWhatWasTriedAndWhatToInstall(t *testing.T) {
	r := &selectionRecorder{clusterErr: pgcluster.ErrNoBinaries}
	_, err := r.finder().find(context.Background())
	if err == nil {
		t.Fatal("found a server where none exists")
	}
	for _, want := range []string{envDatabaseURL + ": not set", "127.0.0.1:5432", "connection refused", pgcluster.ErrNoBinaries.Error(), "apt-get install postgresql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}
