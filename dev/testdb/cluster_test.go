package testdb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/testdb"
)

func newCluster(t *testing.T) *testdb.Cluster {
	t.Helper()
	skipIfShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testdb.NewCluster(ctx)
	if errors.Is(err, testdb.ErrNoBinaries) {
		t.Skip("PostgreSQL server binaries not installed: ", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// TestClusterLifecycle drives one cluster through every state change: each
// initdb costs a second of CPU, so one cluster serves all the steps.
func TestClusterLifecycle(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t)
	dir := testdb.ClusterDir(c)
	query := func(sql string) (string, error) {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return "", err
		}
		defer conn.Close(ctx)
		var out string
		err = conn.QueryRow(ctx, sql).Scan(&out)
		return out, err
	}

	t.Run("runs unprivileged", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("tests do not run as root")
		}
		if uid := processUID(t, postmasterPID(t, dir)); uid == "0" {
			t.Error("postmaster runs as root")
		}
	})

	t.Run("restart keeps committed data", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')`); err != nil {
			t.Fatal(err)
		}
		pidBefore := postmasterPID(t, dir)
		if err := c.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if err := conn.Ping(ctx); err == nil {
			t.Fatal("a connection from before the restart still works: the server did not restart")
		}
		if pid := postmasterPID(t, dir); pid == pidBefore {
			t.Fatalf("postmaster pid %d unchanged across Restart", pid)
		}
		if v, err := query(`SELECT v FROM kept`); err != nil || v != "before restart" {
			t.Fatalf("after restart: %q, %v", v, err)
		}
	})

	t.Run("stop refuses connections until start", func(t *testing.T) {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		shortCtx, cancelShort := context.WithTimeout(ctx, 2*time.Second)
		defer cancelShort()
		if conn, err := pgx.Connect(shortCtx, c.URL()); err == nil {
			conn.Close(ctx)
			t.Fatal("connected to a stopped cluster")
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := query(`SELECT 'up'`); err != nil {
			t.Fatalf("after Start: %v", err)
		}
	})

	t.Run("start after crash recovers", func(t *testing.T) {
		if err := c.Crash(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatalf("Start after Crash: %v", err)
		}
		if v, err := query(`SELECT v FROM kept`); err != nil || v != "before restart" {
			t.Fatalf("after crash recovery: %q, %v", v, err)
		}
	})

	t.Run("close leaves no process or directory", func(t *testing.T) {
		pid := postmasterPID(t, dir)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cluster directory %s still there after Close (%v)", dir, err)
		}
		if processRunning(pid) {
			t.Errorf("postmaster %d still running after Close", pid)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := c.Start(ctx); err == nil {
			t.Error("Start after Close succeeded")
		}
	})
}

func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a throwaway cluster; skipped with -short")
	}
}

func postmasterPID(t *testing.T, clusterDir string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(clusterDir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// processRunning treats a zombie as gone: in a container whose init does
// not reap, an exited postmaster lingers as one.
func processRunning(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	_, afterName, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(afterName, "Z") && !strings.HasPrefix(afterName, "X")
}

func processUID(t *testing.T, pid int) string {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skip("no /proc: ", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatal("no Uid line in /proc status")
	return ""
}

func TestInterruptedMainRemovesItsCluster(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	c := startChild(t, childOptions{block: true, ownCluster: true})
	c.waitForReport(t)
	dir := clusterDirOf(t, c.cmd.Process.Pid)
	pid := postmasterPID(t, dir)
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t); code != 130 {
		t.Fatalf("interrupted child exited %d, want 130:\n%s", code, c.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s still there (%v)", dir, err)
	}
	if processRunning(pid) {
		t.Errorf("postmaster %d still running", pid)
	}
}

func TestSweepRemovesClustersOfKilledBinaries(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	c := startChild(t, childOptions{block: true, ownCluster: true})
	c.waitForReport(t)
	dir := clusterDirOf(t, c.cmd.Process.Pid)
	pid := postmasterPID(t, dir)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	if !processRunning(pid) {
		// SIGKILL leaves no chance to clean up, so a test binary starting in
		// parallel swept first: the state checked below is reached anyway.
		t.Log("the killed child's cluster was already swept by another test binary")
	}

	testdb.SweepStaleClusters(context.Background())

	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abandoned cluster directory %s still there (%v)", dir, err)
	}
	if processRunning(pid) {
		t.Errorf("abandoned postmaster %d still running", pid)
	}
}

// clusterDirOf finds the throwaway cluster that process pid made.
func clusterDirOf(t *testing.T, pid int) string {
	t.Helper()
	owners, err := filepath.Glob(filepath.Join(os.TempDir(), "taskbridge-testdb-*", "owner.pid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, owner := range owners {
		raw, err := os.ReadFile(owner)
		if err == nil && strings.TrimSpace(string(raw)) == strconv.Itoa(pid) {
			return filepath.Dir(owner)
		}
	}
	t.Fatalf("no cluster directory owned by process %d", pid)
	return ""
}
