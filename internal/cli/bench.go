package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/dev/loadgen"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// benchOptions are the flags of `taskbridge bench`.
type benchOptions struct {
	url         string
	allowRemote bool
	users       int
	clients     int
	duration    time.Duration
	warmup      time.Duration
	rate        float64
	maxCalls    int
	seedTasks   int
	pid         int
	raw         bool
	keepUsers   bool
	cpuProfile  string
	sourceIPs   int
	protocols   []string
}

func parseBenchFlags(env Env, args []string) (*benchOptions, error) {
	o := &benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&o.url, "url", "", "MCP endpoint of a running server (loopback only unless --allow-remote); empty starts one in this process on DATABASE_URL")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a --url that is not a loopback address (a server you operate)")
	fs.IntVar(&o.users, "users", 20, "users to create, each with its own access token (1-1000)")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients (1-1024)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured run time (at most 10m)")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured run before the measurement (0 to skip)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: total calls per second (latency counted from each call's scheduled start); 0 is closed loop")
	fs.IntVar(&o.maxCalls, "max-calls", 2_000_000, "stop after this many calls")
	fs.IntVar(&o.seedTasks, "seed-tasks", 30, "tasks each user gets before the run (0-500)")
	fs.IntVar(&o.pid, "pid", 0, "with --url: process id of the server, to report its peak RSS")
	fs.BoolVar(&o.raw, "raw", true, "also measure the raw database ceiling for the list query shape")
	fs.BoolVar(&o.keepUsers, "keep-users", false, "keep the bench users and their tasks afterwards")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured run to this file (in-process server and client)")
	fs.IntVar(&o.sourceIPs, "source-ips", 16, "spread clients over this many loopback source addresses (127.0.0.2...), as many hosts would; per-IP rate limits apply to each")
	protocols := fs.String("protocol", loadgen.LegacyProtocol, "MCP protocol version the clients speak: "+loadgen.LegacyProtocol+", "+
		loadgen.CurrentProtocol+", a comma-separated list of them, or both (each measured in turn, then compared)")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	var err error
	if o.protocols, err = parseProtocols(*protocols); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("%w: taskbridge bench [flags]; see taskbridge bench -h", ErrUsage)
	case o.users < 1 || o.users > 1000:
		return nil, fmt.Errorf("%w: --users must be 1-1000", ErrUsage)
	case o.clients < 1 || o.clients > loadgen.MaxClients:
		return nil, fmt.Errorf("%w: --clients must be 1-%d", ErrUsage, loadgen.MaxClients)
	case o.duration <= 0 || o.duration > loadgen.MaxDuration:
		return nil, fmt.Errorf("%w: --duration must be between 0 and %s", ErrUsage, loadgen.MaxDuration)
	case o.warmup < 0 || o.warmup > time.Minute:
		return nil, fmt.Errorf("%w: --warmup must be 0-1m", ErrUsage)
	case o.rate < 0 || o.rate > 100_000:
		return nil, fmt.Errorf("%w: --rate must be 0-100000", ErrUsage)
	case o.maxCalls < 1 || o.maxCalls > loadgen.MaxCallsCap:
		return nil, fmt.Errorf("%w: --max-calls must be 1-%d", ErrUsage, loadgen.MaxCallsCap)
	case o.seedTasks < 0 || o.seedTasks > 500:
		return nil, fmt.Errorf("%w: --seed-tasks must be 0-500", ErrUsage)
	case o.sourceIPs < 0 || o.sourceIPs > 250:
		return nil, fmt.Errorf("%w: --source-ips must be 0-250", ErrUsage)
	}
	return o, nil
}

// runBench measures authenticated tool calls end to end: it creates users
// and tokens through the OAuth store (the same rows a browser sign-in
// writes), drives tools/call over HTTP with the issue's mix and prints
// throughput, latency percentiles, errors, peak RSS and the ratio to the
// raw database ceiling. It writes to the database it is pointed at and
// removes its users afterwards (unless --keep-users); it refuses prod mode.
func runBench(ctx context.Context, env Env, args []string) error {
	o, err := parseBenchFlags(env, args)
	if err != nil {
		return err
	}
	getenv, err := benchEnv(env.Getenv, o.url == "")
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.Mode == config.ModeProd {
		return errors.New("bench writes users and tasks into the database: refused with TASKBRIDGE_ENV=prod; run it against a dev or test deployment")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("bench needs DATABASE_URL (the application role), to create its users and tokens and to measure the raw ceiling")
	}
	out := env.Stdout
	target := o.url
	var serverDone chan error
	if target == "" {
		serveCtx, stopServe := context.WithCancel(ctx)
		addr, done, err := startInProcessServer(serveCtx, getenv)
		if err != nil {
			stopServe()
			return err
		}
		serverDone = done
		defer func() {
			stopServe()
			<-serverDone
		}()
		target = "http://" + addr + "/mcp"
		fmt.Fprintf(out, "server:      in process, %s (GOMAXPROCS %d)\n", target, runtime.GOMAXPROCS(0))
	} else {
		if _, err := loadgen.CheckTarget(target, o.allowRemote); err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
		fmt.Fprintf(out, "server:      %s\n", target)
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: cfg.DBMaxConns, ApplicationName: "taskbridge-bench"})
	if err != nil {
		return err
	}
	defer db.Close()
	warnAutovacuumOff(ctx, db, out)
	keys, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	users, tokens, err := benchUsers(ctx, cfg, db, keys, log, o.users)
	if err != nil {
		return err
	}
	// The ceilings run as users of their own, seeded the same way, whose
	// tasks the tool run never changes: the dead rows its writes leave (and
	// that a server without autovacuum keeps) sit in other parts of the
	// owner index.
	var ceilingUsers []uuid.UUID
	var ceilingTokens []string
	if o.raw {
		if ceilingUsers, ceilingTokens, err = benchUsers(ctx, cfg, db, keys, log, o.users); err != nil {
			return err
		}
	}
	if !o.keepUsers {
		defer func() {
			if n, err := deleteBenchUsers(context.WithoutCancel(ctx), db, append(users, ceilingUsers...)); err != nil {
				fmt.Fprintf(env.Stderr, "bench: removing its users: %v\n", err)
			} else {
				fmt.Fprintf(out, "cleanup:     removed %d bench users and their tasks and grants\n", n)
			}
		}()
	}
	client := loadgen.NewHTTPClient(o.clients)
	if o.sourceIPs > 0 {
		if u, err := loadgen.CheckTarget(target, false); err == nil && u.Hostname() != "localhost" {
			client = loadgen.NewSpreadHTTPClient(o.clients, o.sourceIPs)
		}
	}
	if err := seedTasks(ctx, target, append(tokens, ceilingTokens...), o.seedTasks); err != nil {
		return err
	}
	fmt.Fprintf(out, "setup:       %d users with a token each (via the OAuth store), %d tasks each", o.users, o.seedTasks)
	if o.raw {
		fmt.Fprintf(out, "; as many again for the ceilings")
	}
	fmt.Fprintln(out)

	opts := loadgen.Options{URL: target, Tokens: tokens, Clients: o.clients, Rate: o.rate, MaxCalls: o.maxCalls, HTTPClient: client,
		Seed: uint64(time.Now().UnixNano()), AllowRemote: o.allowRemote}
	runs, err := measureProtocols(ctx, out, o, opts, serverDone != nil)
	if err != nil {
		return err
	}
	printRSS(out, o, serverDone != nil)
	// The ceilings come after the tool run, so nothing they write (tens of
	// thousands of audit rows, their WAL, a backlog for the server's audit
	// sealer) can slow it; they run as their own users, whose tasks the tool
	// run's writes never touched. The bench then waits for the sealer, so the
	// next run starts from a settled database.
	if o.raw {
		var ceilings benchCeilings
		raw := loadgen.RawOptions{DB: db, Tasks: postgres.NewTasks(keys), Users: ceilingUsers,
			Clients: o.clients, Duration: o.duration, MaxCalls: o.maxCalls}
		if ceilings.read, err = loadgen.RawCeiling(ctx, raw); err != nil {
			return err
		}
		auditKeys, err := audit.EphemeralKeys()
		if err != nil {
			return err
		}
		raw.Audit = postgres.NewAuditLog(auditKeys)
		if ceilings.audited, err = loadgen.RawCeiling(ctx, raw); err != nil {
			return err
		}
		ceilings.print(out, runs, o.clients, cfg.DBMaxConns)
		waitForSealer(ctx, db, out, time.Minute)
	}

	return nil
}

// benchCeilings are the raw database rates a tool call is compared with:
// the list read shape sent straight to the database driver, and the same
// with the audit row every tool call must write (L4), the ceiling of the
// work a tool call cannot skip.
type benchCeilings struct {
	read, audited float64 // list transactions per second, without and with the audit row
}

func (c *benchCeilings) print(out io.Writer, runs []protocolRun, clients int, poolSize int32) {
	fmt.Fprintf(out, "raw DB:      %.0f list transactions/s (driver pipelined: BEGIN+set_config+list query, then COMMIT: 2 round trips; %d clients, pool %d)\n", c.read, clients, poolSize)
	for _, r := range runs {
		if c.read > 0 {
			fmt.Fprintf(out, "ratio:       %.0f%% of the raw database ceiling (%s)\n", 100*r.report.Throughput()/c.read, r.protocol)
		}
	}
	fmt.Fprintf(out, "raw+audit:   %.0f list transactions/s with the audit insert sent with COMMIT\n", c.audited)
	for _, r := range runs {
		if c.audited > 0 {
			fmt.Fprintf(out, "ratio:       %.0f%% of the raw ceiling with the audit row (%s)\n", 100*r.report.Throughput()/c.audited, r.protocol)
		}
	}
}

// waitForSealer waits, at most limit, until the server's audit sealer has
// sealed every audit row committed so far. A server without a sealer (or a
// stuck one) costs the wait and a warning, never a failed run.
func waitForSealer(ctx context.Context, db *postgres.DB, out io.Writer, limit time.Duration) {
	target, err := db.LastAuditEventID(ctx)
	if err != nil {
		return
	}
	deadline := time.Now().Add(limit)
	for {
		if sealed, err := db.LastSealedEventID(ctx); err != nil || sealed >= target {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(out, "warning:     the audit sealer has not caught up after %s; a run started now pays for sealing these rows\n", limit)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// warnAutovacuumOff says so when the server does not vacuum by itself:
// every bench run leaves dead rows behind (its users are removed), and on
// a server that never vacuums them each run is slower than the last.
func warnAutovacuumOff(ctx context.Context, db *postgres.DB, w io.Writer) {
	if setting, err := db.Autovacuum(ctx); err == nil && setting != "on" {
		fmt.Fprintln(w, "warning:     autovacuum is off on this PostgreSQL; dead rows from earlier runs slow every query: run VACUUM ANALYZE as the table owner before measuring")
	}
}

// benchEnv adjusts the environment of an in-process server: a loopback
// port of its own, no metrics listener, and the per-grant MCP rate limit
// at its maximum (each bench user calls far faster than a person would).
//
// Without TASKBRIDGE_ENCRYPTION_KEYS both the server and the raw-ceiling
// run get the same generated key, so the raw run can read the notes the
// server sealed.
func benchEnv(getenv func(string) string, inProcess bool) (func(string) string, error) {
	if !inProcess {
		return getenv, nil
	}
	over := map[string]string{
		"TASKBRIDGE_ADDR":                "127.0.0.1:0",
		"TASKBRIDGE_METRICS_ADDR":        "off",
		"TASKBRIDGE_RATE_MCP_PER_MINUTE": "100000",
	}
	if getenv("TASKBRIDGE_ENV") == "" {
		over["TASKBRIDGE_ENV"] = "dev"
	}
	if getenv("TASKBRIDGE_ENCRYPTION_KEYS") == "" {
		spec, err := keyring.Generate("bench")
		if err != nil {
			return nil, err
		}
		over["TASKBRIDGE_ENCRYPTION_KEYS"] = spec
	}
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}

var benchListening = regexp.MustCompile(`listening on (\S+)`)

// startInProcessServer runs `serve` (the production wiring) in a goroutine
// and returns its address once it listens. Its logs are discarded (they are
// still formatted, as in production).
func startInProcessServer(ctx context.Context, getenv func(string) string) (string, chan error, error) {
	var stdout lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, Env{Getenv: getenv, Stdout: &stdout, Stderr: io.Discard}, nil)
	}()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := benchListening.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], done, nil
		}
		select {
		case err := <-done:
			return "", nil, fmt.Errorf("the in-process server stopped: %w", err)
		case <-deadline.C:
			return "", nil, errors.New("the in-process server did not start listening within 30s")
		case <-tick.C:
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// benchUsers creates n users and an access token for each through the
// OAuth store (a grant, consent record and token family per user, as a
// browser sign-in would write).
func benchUsers(ctx context.Context, cfg *config.Config, db *postgres.DB, keys *keyring.Keyring, log *slog.Logger, n int) ([]uuid.UUID, []string, error) {
	auditKeys, err := loadAuditKeys(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	authServer := oauth.New(cfg, db, keys, nil, postgres.NewAuditLog(auditKeys), log)
	clientID, err := authServer.NewDirectClient(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("register the bench client: %w", err)
	}
	users := make([]uuid.UUID, n)
	tokens := make([]string, n)
	scopes := []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite}
	for i := range users {
		id := uuid.New()
		err := db.InUserTx(ctx, id, func(tx postgres.Querier) error {
			return postgres.InsertBenchUser(ctx, tx, id)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("create bench user: %w", err)
		}
		tok, err := authServer.IssueDirect(ctx, clientID, id, scopes)
		if err != nil {
			return nil, nil, fmt.Errorf("issue bench token: %w", err)
		}
		users[i], tokens[i] = id, tok.AccessToken
	}
	return users, tokens, nil
}

func deleteBenchUsers(ctx context.Context, db *postgres.DB, users []uuid.UUID) (int, error) {
	n := 0
	for _, id := range users {
		err := db.InUserTx(ctx, id, func(tx postgres.Querier) error {
			return postgres.DeleteBenchUser(ctx, tx, id)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// seedTasks gives every user tasks through the server itself (so notes are
// sealed with the server's key), several users at a time.
func seedTasks(ctx context.Context, target string, tokens []string, perUser int) error {
	if perUser == 0 {
		return nil
	}
	hc := loadgen.NewHTTPClient(8)
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens))
	sem := make(chan struct{}, 8)
	for _, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := &loadgen.Caller{URL: target, Token: tok, Client: hc}
			for i := range perUser {
				args := map[string]any{"title": "seed task " + strconv.Itoa(i), "tags": []string{"bench", "seed"}, "notes": "seeded by taskbridge bench"}
				if _, err := c.Call(ctx, "create_task", args); err != nil {
					errs <- fmt.Errorf("seed tasks: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path) // #nosec G304 -- the operator names the profile file on the command line
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close() // the profile is best effort; the run's results are printed regardless
	}, nil
}

func printRSS(out io.Writer, o *benchOptions, inProcess bool) {
	switch {
	case inProcess:
		if rss, err := loadgen.PeakRSS(0); err == nil {
			fmt.Fprintf(out, "peak RSS:    %.1f MiB (this process: server and load generator together, so an upper bound for the server)\n", float64(rss)/(1<<20))
		}
	case o.pid > 0:
		if rss, err := loadgen.PeakRSS(o.pid); err == nil {
			fmt.Fprintf(out, "peak RSS:    %.1f MiB (server process %d)\n", float64(rss)/(1<<20), o.pid)
		} else {
			fmt.Fprintf(out, "peak RSS:    unknown (%v)\n", err)
		}
	default:
		fmt.Fprintln(out, "peak RSS:    not measured (pass --pid with --url)")
	}
}
