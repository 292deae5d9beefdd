package testdb_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/testdb"
)

// These tests run this test binary again as a child whose TestMain is
// testdb.Main, and check what Main leaves behind on our server.

const (
	envChildReport = "TESTDB_CHILD_REPORT" // where the child writes its database and role
	envChildBlock  = "TESTDB_CHILD_BLOCK"  // the child waits to be signalled
)

// TestMainChild is the child's side; it does nothing in a normal run.
func TestMainChild(t *testing.T) {
	report := os.Getenv(envChildReport)
	if report == "" {
		t.Skip("runs only as the child of the TestMain* tests")
	}
	tmp := report + ".tmp"
	if err := os.WriteFile(tmp, []byte(tdb.Name+"\n"+tdb.AppRole+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, report); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(envChildBlock) == "1" {
		time.Sleep(time.Minute)
		t.Fatal("was not signalled")
	}
}

type child struct {
	cmd      *exec.Cmd
	stderr   *bytes.Buffer
	report   string
	database string
	role     string
}

type childOptions struct {
	block bool // wait inside the tests to be signalled
	// ownCluster makes the child start its own throwaway cluster instead of
	// using this process's server.
	ownCluster bool
}

func startChild(t *testing.T, opts childOptions) *child {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a child test process; skipped with -short")
	}
	c := &child{report: filepath.Join(t.TempDir(), "report"), stderr: &bytes.Buffer{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestMainChild$", "-test.count=1")
	env := []string{envChildReport + "=" + c.report}
	if opts.ownCluster {
		env = append(env, "TESTDB_FORCE_CLUSTER=1")
	} else {
		env = append(env, "TEST_DATABASE_URL="+tdb.ServerAdminURL)
	}
	if opts.block {
		env = append(env, envChildBlock+"=1")
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESTDB_") && !strings.HasPrefix(kv, "TEST_DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	c.cmd.Env = env
	c.cmd.Stderr = c.stderr
	c.cmd.Stdout = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// waitForReport waits until the child is inside its tests.
func (c *child) waitForReport(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		raw, err := os.ReadFile(c.report)
		if err == nil {
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(lines) != 2 {
				t.Fatalf("child report %q", raw)
			}
			c.database, c.role = lines[0], lines[1]
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child never reported its database; output:\n%s", c.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *child) wait(t *testing.T) int {
	t.Helper()
	err := c.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return c.cmd.ProcessState.ExitCode()
}

func databaseAndRoleExist(t *testing.T, database, role string) (bool, bool) {
	t.Helper()
	var dbExists, roleExists bool
	err := connect(t, tdb.ServerAdminURL).QueryRow(context.Background(), `
		SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1),
		       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)`, database, role).Scan(&dbExists, &roleExists)
	if err != nil {
		t.Fatal(err)
	}
	return dbExists, roleExists
}

func TestMainDropsDatabaseAndRoleAtExit(t *testing.T) {
	t.Parallel()
	c := startChild(t, childOptions{})
	if code := c.wait(t); code != 0 {
		t.Fatalf("child exited %d:\n%s", code, c.stderr)
	}
	c.waitForReport(t)
	// The child is this binary, so its database has our tb_<package>_ prefix.
	prefix := tdb.Name[:strings.LastIndex(tdb.Name, "_")+1]
	if !strings.HasPrefix(c.database, prefix) || c.database == tdb.Name || !strings.HasPrefix(c.role, "tb_app_") {
		t.Errorf("child used database %q and role %q, want a new %s* and tb_app_*", c.database, c.role, prefix)
	}
	if n := strings.Count(c.stderr.String(), "testdb: using "); n != 1 {
		t.Errorf("child announced its server %d times, want once:\n%s", n, c.stderr)
	}
	if db, role := databaseAndRoleExist(t, c.database, c.role); db || role {
		t.Fatalf("after the child exited: database exists=%v, role exists=%v", db, role)
	}
}

func TestMainCleansUpWhenInterrupted(t *testing.T) {
	t.Parallel()
	c := startChild(t, childOptions{block: true})
	c.waitForReport(t)
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t); code != 130 {
		t.Fatalf("interrupted child exited %d, want 130:\n%s", code, c.stderr)
	}
	if db, role := databaseAndRoleExist(t, c.database, c.role); db || role {
		t.Fatalf("after interrupting the child: database exists=%v, role exists=%v", db, role)
	}
}

func TestSweepRemovesWhatAKilledBinaryLeft(t *testing.T) {
	t.Parallel()
	c := startChild(t, childOptions{block: true})
	c.waitForReport(t)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	if db, role := databaseAndRoleExist(t, c.database, c.role); !db || !role {
		// SIGKILL leaves no chance to clean up, so a test binary starting in
		// parallel swept first: the state checked below is reached anyway.
		t.Logf("the killed child's database (exists: %v) or role (exists: %v) was already swept by another test binary", db, role)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	testdb.SweepServer(ctx, tdb.ServerAdminURL)

	if db, role := databaseAndRoleExist(t, c.database, c.role); db || role {
		t.Fatalf("after the sweep: database exists=%v, role exists=%v", db, role)
	}
	if db, role := databaseAndRoleExist(t, tdb.Name, tdb.AppRole); !db || !role {
		t.Fatalf("the sweep removed this live process's database (%v) or role (%v)", db, role)
	}
}
