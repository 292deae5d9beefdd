package testdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	clusterDirPrefix = "taskbridge-testdb-"
	ownerFileName    = "owner.pid" // pid of the test process that made the cluster
	confFileName     = "testdb.conf"
	logFileName      = "server.log"
	startAttempts    = 3 // a free port can be taken by a parallel package before postgres binds it
	pgCtlWaitSeconds = "60"
)

// Cluster is a throwaway PostgreSQL cluster in a temporary directory, for the
// test harness when no server is available and for fault tests that stop and
// restart a server. It listens on 127.0.0.1 only, trusts every connection,
// and trades durability for speed (fsync, full_page_writes and
// synchronous_commit are off), so it must never hold data anyone needs.
type Cluster struct {
	mu      sync.Mutex
	bins    pgBinaries
	account *osAccount // nil unless the tests run as root
	root    string     // data/, server.log, the unix socket, owner.pid; "" once closed
	port    int
}

// NewCluster creates and starts a throwaway cluster. The caller must Close it,
// which stops the server and deletes the directory.
func NewCluster(ctx context.Context) (*Cluster, error) {
	bins, err := findPGBinaries()
	if err != nil {
		return nil, err
	}
	account, err := serverAccount()
	if err != nil {
		return nil, err
	}
	sweepStaleClusters(ctx, bins, account)
	root, err := os.MkdirTemp("", clusterDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{bins: bins, account: account, root: root}
	if err := c.create(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("throwaway cluster with %s: %w", filepath.Dir(bins.pgCtl), err), c.Close())
	}
	return c, nil
}

// URL is the superuser URL of the cluster's maintenance database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the stopped server and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start(ctx)
}

// Stop shuts the server down cleanly (fast mode: clients are disconnected,
// committed data is checkpointed). Stopping a stopped server does nothing.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stop(ctx, "fast")
}

// Crash stops the server the way a power cut would (immediate mode, no
// checkpoint); the next Start runs crash recovery. With synchronous_commit
// off, transactions committed in the last moment before a crash may be lost.
func (c *Cluster) Crash(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stop(ctx, "immediate")
}

// Restart stops the server cleanly and starts it again on the same port.
func (c *Cluster) Restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stop(ctx, "fast"); err != nil {
		return err
	}
	return c.start(ctx)
}

// Close stops the server at once and deletes its directory. It is safe to
// call more than once.
func (c *Cluster) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.root == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if err := c.stop(ctx, "immediate"); err != nil {
		errs = append(errs, err)
		// The directory is about to go; do not leave a server running in it.
		if err := killPostmaster(c.dataDir()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(c.root); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	c.root = ""
	return errors.Join(errs...)
}

func (c *Cluster) dataDir() string { return filepath.Join(c.root, "data") }
func (c *Cluster) logPath() string { return filepath.Join(c.root, logFileName) }

func (c *Cluster) create(ctx context.Context) error {
	owner := []byte(strconv.Itoa(os.Getpid()) + "\n")
	// #nosec G306 -- the file holds only a pid, which a later run's sweep (possibly another user's) must read
	if err := os.WriteFile(filepath.Join(c.root, ownerFileName), owner, 0o644); err != nil {
		return fmt.Errorf("record cluster owner: %w", err)
	}
	if err := c.account.chown(c.root); err != nil {
		return err
	}
	if err := c.initdb(ctx); err != nil {
		return err
	}
	include := []byte("\n# Settings of the throwaway test cluster.\ninclude '" + confFileName + "'\n")
	if err := appendFile(filepath.Join(c.dataDir(), "postgresql.conf"), include); err != nil {
		return err
	}
	var err error
	for range startAttempts {
		if c.port, err = freePort(); err != nil {
			return err
		}
		if err = c.writeConf(); err != nil {
			return err
		}
		logStart := fileSize(c.logPath())
		if err = c.start(ctx); err == nil {
			return nil
		}
		if !strings.Contains(readFrom(c.logPath(), logStart), "already in use") {
			return err
		}
	}
	return err
}

func (c *Cluster) initdb(ctx context.Context) error {
	var errs []error
	// C.UTF-8 matches production's lower()/upper() on non-ASCII text; plain C
	// is the fallback where that locale is missing.
	for _, locale := range []string{"C.UTF-8", "C"} {
		out, err := c.command(ctx, c.bins.initdb,
			"-D", c.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
			"--locale="+locale, "--no-sync").CombinedOutput()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w: %s", locale, err, bytes.TrimSpace(out)))
		if err := os.RemoveAll(c.dataDir()); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errors.Join(errs...)
}

// writeConf writes the settings included from postgresql.conf. The socket
// lives in the cluster directory so parallel clusters never collide there.
func (c *Cluster) writeConf() error {
	conf := fmt.Sprintf(`listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = off
full_page_writes = off
synchronous_commit = off
`, c.port, strings.ReplaceAll(c.root, "'", "''"))
	path := filepath.Join(c.dataDir(), confFileName)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", confFileName, err)
	}
	return c.account.chown(path)
}

func (c *Cluster) start(ctx context.Context) error {
	if c.root == "" {
		return errors.New("cluster is closed")
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "postmaster.pid")); err == nil {
		return errors.New("cluster is already running")
	}
	logStart := fileSize(c.logPath())
	out, err := c.command(ctx, c.bins.pgCtl, "start", "-w", "-t", pgCtlWaitSeconds, "-s",
		"-D", c.dataDir(), "-l", c.logPath()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s\nserver log:\n%s", err, bytes.TrimSpace(out), readFrom(c.logPath(), logStart))
	}
	return waitReady(ctx, c.URL())
}

// stop does nothing when no postmaster.pid exists: the server is not running.
func (c *Cluster) stop(ctx context.Context, mode string) error {
	if c.root == "" {
		return errors.New("cluster is closed")
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	out, err := c.command(ctx, c.bins.pgCtl, "stop", "-w", "-t", pgCtlWaitSeconds, "-s",
		"-D", c.dataDir(), "-m", mode).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %w: %s", mode, err, bytes.TrimSpace(out))
	}
	return nil
}

func (c *Cluster) command(ctx context.Context, program string, args ...string) *exec.Cmd {
	return serverCommand(ctx, c.account, c.root, program, args...)
}

// serverCommand runs a PostgreSQL program in dir, as account when the tests
// run as root. pg_ctl start sends the server's output to the log file, so no
// server process holds the command's output pipe; WaitDelay bounds the wait
// should one ever do so.
func serverCommand(ctx context.Context, account *osAccount, dir, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Dir = dir
	cmd.Env = serverEnv()
	cmd.WaitDelay = 5 * time.Second
	account.runAs(cmd)
	return cmd
}

// waitReady confirms over TCP what pg_ctl -w saw on the socket.
func waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, url)
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster did not accept connections: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// killPostmaster is the last resort when pg_ctl cannot stop a server whose
// directory is about to be deleted. Backends exit when the postmaster dies.
func killPostmaster(dataDir string) error {
	raw, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid")) // #nosec G304 -- the harness's own data directory
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return fmt.Errorf("postmaster.pid names no process: %q", first)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill postmaster %d: %w", pid, err)
	}
	return nil
}

// freePort asks the kernel for an unused port. Another process may take it
// before postgres binds it; create retries with a new one.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0) // #nosec G304 -- a config file in the harness's own data directory
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// readFrom returns the file's content from offset on, for error messages.
func readFrom(path string, offset int64) string {
	raw, err := os.ReadFile(path) // #nosec G304 -- the harness's own server log file
	if err != nil || offset > int64(len(raw)) {
		return ""
	}
	return strings.TrimSpace(string(raw[offset:]))
}
