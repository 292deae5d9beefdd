package faults_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
)

// newCluster starts a throwaway cluster for one test, or skips under -short.
func newCluster(t *testing.T) (*testdb.Cluster, *testdb.Database) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault test: starts its own PostgreSQL cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testdb.NewCluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c, c.NewDatabase(t)
}

// replica is one `taskbridge serve` running in this process.
type replica struct {
	addr   string
	stop   context.CancelFunc
	done   chan error
	stderr *capture.Buffer
}

func (r *replica) mcpURL() string { return "http://" + r.addr + "/mcp" }

// serveEnv is the environment of a test replica on db. The test fixture
// authenticator stands in for OAuth (one fixed user) where a test is about
// the database, not about tokens.
func serveEnv(t *testing.T, db *testdb.Database, extra map[string]string) map[string]string {
	t.Helper()
	keys, err := keyring.Generate("fault")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"TASKBRIDGE_ENV":             "test",
		"TASKBRIDGE_ADDR":            "127.0.0.1:0",
		"TASKBRIDGE_PUBLIC_URL":      "http://127.0.0.1:8080",
		"TASKBRIDGE_METRICS_ADDR":    "off",
		"DATABASE_URL":               db.AppURL,
		"TASKBRIDGE_ENCRYPTION_KEYS": keys,
		"TASKBRIDGE_MCP_STATE_KEY":   base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"TASKBRIDGE_REQUEST_TIMEOUT": "5s",
		"TASKBRIDGE_LOG_LEVEL":       "warn",
		// A few users drive the load: the per-grant limits (600 a minute,
		// 2 and 4 calls at once by default) would turn the test into a
		// rate-limit test.
		"TASKBRIDGE_RATE_MCP_PER_MINUTE":            "100000",
		"TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_GRANT": "9",
		"TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER":  "9",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

var listening = regexp.MustCompile(`listening on (\S+)`)

// startReplica runs serve with env until the test ends (or r.stop).
func startReplica(t *testing.T, env map[string]string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{stop: cancel, done: make(chan error, 1), stderr: &capture.Buffer{}}
	var stdout capture.Buffer
	go func() {
		r.done <- cli.Run(ctx, cli.Env{Args: []string{"serve"}, Getenv: func(k string) string { return env[k] },
			Stdout: &stdout, Stderr: r.stderr})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("replica did not stop")
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			r.addr = m[1]
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("serve exited before listening: %v\n%s", err, r.stderr.String())
		case <-deadline:
			t.Fatalf("serve did not start listening\n%s", r.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// storedTitles reads the titles of every task as the superuser.
func storedTitles(t *testing.T, db *testdb.Database) map[string]bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT title FROM tasks`)
	if err != nil {
		t.Fatal(err)
	}
	titles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool, len(titles))
	for _, s := range titles {
		out[s] = true
	}
	return out
}

// acks collects what the load generator saw acknowledged.
type acks struct {
	mu     sync.Mutex
	titles map[string]bool
	kinds  map[string]int
	ok     int
}

func newAcks() *acks { return &acks{titles: map[string]bool{}, kinds: map[string]int{}} }

func (a *acks) count() (ok int, kinds map[string]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := make(map[string]int, len(a.kinds))
	for n, v := range a.kinds {
		k[n] = v
	}
	return a.ok, k
}

func (a *acks) snapshotTitles() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]bool, len(a.titles))
	for k := range a.titles {
		out[k] = true
	}
	return out
}

func httpClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}
