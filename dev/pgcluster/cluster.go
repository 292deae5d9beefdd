package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	confFileName     = "pgcluster.conf"
	logFileName      = "server.log"
	startAttempts    = 3 // a free port can be taken by another process before postgres binds it
	pgCtlWaitSeconds = "60"
)

// Options say where a cluster lives and how it is set up.
type Options struct {
	// Root holds data/, server.log and the Unix socket. It must exist; when
	// this process runs as root it is given to the server's account.
	Root string
	// Password is the superuser's: connections need it (scram-sha-256).
	// Empty trusts every connection, which only a throwaway cluster may do.
	Password string
	// Throwaway trades durability for speed (fsync, full_page_writes and
	// synchronous_commit off): for clusters whose data nobody needs.
	Throwaway bool
}

// Cluster is a PostgreSQL cluster in a directory of its own, run with the
// local initdb and pg_ctl. It listens on 127.0.0.1 only, on a port chosen
// when it starts.
type Cluster struct {
	mu      sync.Mutex
	opts    Options
	bins    Binaries
	account *Account // nil unless this process runs as root
	port    int
	closed  bool
}

// Create makes a new cluster in opts.Root (initdb) and starts it. The caller
// stops it (Stop, Close).
func Create(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if err := c.account.Chown(opts.Root); err != nil {
		return nil, err
	}
	if err := c.initdb(ctx); err != nil {
		return nil, fmt.Errorf("cluster with %s: %w", filepath.Dir(c.bins.PgCtl), err)
	}
	include := []byte("\n# Settings of this cluster (dev/pgcluster).\ninclude '" + confFileName + "'\n")
	if err := appendFile(filepath.Join(c.DataDir(), "postgresql.conf"), include); err != nil {
		return nil, err
	}
	if err := c.startOnFreePort(ctx); err != nil {
		return nil, fmt.Errorf("cluster with %s: %w", filepath.Dir(c.bins.PgCtl), err)
	}
	return c, nil
}

// Open starts the cluster Create made in opts.Root earlier, on its previous
// port when that is free. A server still running there from a process that
// died is stopped first.
func Open(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if c.running() {
		if err := c.stop(ctx, "fast"); err != nil {
			return nil, err
		}
	}
	raw, _ := os.ReadFile(filepath.Join(c.DataDir(), confFileName)) // #nosec G304 -- this cluster's own settings file
	if m := regexp.MustCompile(`(?m)^port = (\d+)$`).FindSubmatch(raw); m != nil {
		c.port, _ = strconv.Atoi(string(m[1]))
		if err := c.writeConf(); err != nil {
			return nil, err
		}
		logStart := fileSize(c.logPath())
		if err = c.start(ctx); err == nil {
			return c, nil
		}
		if !strings.Contains(readFrom(c.logPath(), logStart), "already in use") {
			return nil, err
		}
	}
	if err := c.startOnFreePort(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Exists reports whether root holds a cluster Create made.
func Exists(root string) bool {
	_, err := os.Stat(filepath.Join(root, "data", "PG_VERSION"))
	return err == nil
}

func newCluster(opts Options) (*Cluster, error) {
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	account, err := ServerAccount()
	if err != nil {
		return nil, err
	}
	return &Cluster{opts: opts, bins: bins, account: account}, nil
}

// URL is the superuser URL of the cluster's maintenance database.
func (c *Cluster) URL() string { return c.DatabaseURL("postgres", "postgres", c.opts.Password) }

// DatabaseURL is the URL of database as user over TCP; an empty password
// leaves it out (a passfile parameter can supply it).
func (c *Cluster) DatabaseURL(user, database, password string) string {
	u := url.URL{Scheme: "postgres", User: url.User(user), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// Port is where the server listens on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// DataDir is the cluster's data directory.
func (c *Cluster) DataDir() string { return filepath.Join(c.opts.Root, "data") }

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
// checkpoint); the next Start runs crash recovery.
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

// Kill stops the server at once, by signal if pg_ctl cannot, before its
// directory is deleted; afterwards the Cluster refuses to start. Safe to
// call more than once.
func (c *Cluster) Kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.stop(ctx, "immediate"); err != nil {
		// The directory is about to go; do not leave a server running in it.
		return errors.Join(err, killPostmaster(c.DataDir()))
	}
	return nil
}

func (c *Cluster) logPath() string { return filepath.Join(c.opts.Root, logFileName) }

func (c *Cluster) initdb(ctx context.Context) error {
	auth := []string{"-A", "trust"}
	if c.opts.Password != "" {
		// The file is read once and removed: the password is kept by the
		// caller, never in the cluster's directory.
		pwfile := filepath.Join(c.opts.Root, "initdb.pw")
		if err := os.WriteFile(pwfile, []byte(c.opts.Password+"\n"), 0o600); err != nil {
			return fmt.Errorf("write initdb password file: %w", err)
		}
		defer os.Remove(pwfile)
		if err := c.account.Chown(pwfile); err != nil {
			return err
		}
		auth = []string{"-A", "scram-sha-256", "--pwfile=" + pwfile}
	}
	var errs []error
	// C.UTF-8 matches production's lower()/upper() on non-ASCII text; plain C
	// is the fallback where that locale is missing.
	for _, locale := range []string{"C.UTF-8", "C"} {
		args := append([]string{"-D", c.DataDir(), "-U", "postgres", "-E", "UTF8", "--locale=" + locale}, auth...)
		if c.opts.Throwaway {
			args = append(args, "--no-sync")
		}
		out, err := c.command(ctx, c.bins.Initdb, args...).CombinedOutput()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w: %s", locale, err, bytes.TrimSpace(out)))
		if err := os.RemoveAll(c.DataDir()); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errors.Join(errs...)
}

// startOnFreePort starts the server on a port the kernel says is free,
// trying again when another process takes it first.
func (c *Cluster) startOnFreePort(ctx context.Context) error {
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

// writeConf writes the settings included from postgresql.conf. The socket
// lives in the cluster directory so parallel clusters never collide there.
func (c *Cluster) writeConf() error {
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n",
		c.port, strings.ReplaceAll(c.opts.Root, "'", "''"))
	if c.opts.Throwaway {
		conf += "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
	}
	path := filepath.Join(c.DataDir(), confFileName)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", confFileName, err)
	}
	return c.account.Chown(path)
}

// running reports whether a live postmaster holds the data directory. A
// postmaster.pid left by a server that died is not one: postgres replaces
// it when it starts.
func (c *Cluster) running() bool {
	pid, err := postmasterPID(c.DataDir())
	if err != nil || pid == 0 {
		return err != nil // unreadable: assume the worst
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// postmasterPID reads the first line of postmaster.pid; 0 when there is none.
func postmasterPID(dataDir string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid")) // #nosec G304 -- the cluster's own data directory
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("postmaster.pid names no process: %q", first)
	}
	return pid, nil
}

func (c *Cluster) start(ctx context.Context) error {
	if c.closed {
		return errors.New("cluster is closed")
	}
	if c.running() {
		return errors.New("cluster is already running")
	}
	logStart := fileSize(c.logPath())
	out, err := c.command(ctx, c.bins.PgCtl, "start", "-w", "-t", pgCtlWaitSeconds, "-s",
		"-D", c.DataDir(), "-l", c.logPath()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s\nserver log:\n%s", err, bytes.TrimSpace(out), readFrom(c.logPath(), logStart))
	}
	return waitReady(ctx, c.URL())
}

// stop does nothing when no postmaster.pid exists: the server is not running.
func (c *Cluster) stop(ctx context.Context, mode string) error {
	if !c.running() {
		return nil
	}
	return StopServer(ctx, c.account, c.bins, c.opts.Root, mode)
}

// StopServer runs pg_ctl stop on the cluster in root (its data/ directory),
// as account: for a cluster this process did not start.
func StopServer(ctx context.Context, account *Account, bins Binaries, root, mode string) error {
	out, err := Command(ctx, account, root, bins.PgCtl, "stop", "-w", "-t", pgCtlWaitSeconds, "-s",
		"-D", filepath.Join(root, "data"), "-m", mode).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %w: %s", mode, err, bytes.TrimSpace(out))
	}
	return nil
}

func (c *Cluster) command(ctx context.Context, program string, args ...string) *exec.Cmd {
	return Command(ctx, c.account, c.opts.Root, program, args...)
}

// Command runs a PostgreSQL program in dir, as account when this process
// runs as root. pg_ctl start sends the server's output to the log file, so
// no server process holds the command's output pipe; WaitDelay bounds the
// wait should one ever do so.
func Command(ctx context.Context, account *Account, dir, program string, args ...string) *exec.Cmd {
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
	pid, err := postmasterPID(dataDir)
	if err != nil || pid == 0 {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill postmaster %d: %w", pid, err)
	}
	return nil
}

// freePort asks the kernel for an unused port. Another process may take it
// before postgres binds it; startOnFreePort retries with a new one.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0) // #nosec G304 -- a config file in the cluster's own data directory
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
	raw, err := os.ReadFile(path) // #nosec G304 -- the cluster's own server log file
	if err != nil || offset > int64(len(raw)) {
		return ""
	}
	return strings.TrimSpace(string(raw[offset:]))
}
