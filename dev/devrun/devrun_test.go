package devrun_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/dev/devrun"
	"github.com/taskbridge/taskbridge/dev/pgcluster"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// TestMakeRunKeepsItsDatabaseAndKeysAcrossRestarts is `make run` with no
// DATABASE_URL, twice, on a real cluster from initdb: the first start makes
// the database and serves the sign-up page; an operator command with the
// exports it wrote creates an account, whose task gets a note; after a
// restart the audit chain (sealed by both runs) verifies and the note is
// still readable.
func TestMakeRunKeepsItsDatabaseAndKeysAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a PostgreSQL cluster")
	}
	if _, err := pgcluster.FindBinaries(); err != nil {
		t.Skip(err)
	}
	dataDir := filepath.Join(workingTree(t), ".taskbridge-dev")

	addr := start(t, dataDir)
	resp, err := http.Get("http://" + addr + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<form") {
		t.Fatalf("/signup: %d\n%s", resp.StatusCode, body)
	}

	operator := readEnvFile(t, filepath.Join(dataDir, "env"))
	out := run(t, operator, "correct horse battery staple 42\n", "users", "create", "--email", "dev@example.test")
	id := regexp.MustCompile(`created user (\S+)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("users create printed %q", out)
	}
	addNote(t, operator, id[1], "remember the milk")
	run(t, operator, "", "audit", "seal")
	stopServer(t)

	start(t, dataDir)
	run(t, operator, "", "audit", "seal")
	if out := run(t, operator, "", "audit", "verify"); !strings.Contains(out, "OK") {
		t.Errorf("audit verify after a restart: %s", out)
	}
	if out := run(t, operator, "", "users", "export", "--email", "dev@example.test"); !strings.Contains(out, "remember the milk") {
		t.Errorf("the note is not readable after a restart:\n%s", out)
	}
	for _, name := range []string{"pgpass", "env", "secrets/audit-key"} {
		if info, err := os.Stat(filepath.Join(dataDir, name)); err != nil || info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v, mode %v: readable by others", name, err, info.Mode().Perm())
		}
	}
	if raw, err := os.ReadFile(filepath.Join(dataDir, "env")); err != nil || strings.Contains(string(raw), ":"+passwordOf(t, dataDir, "taskbridge_app")+"@") {
		t.Errorf("the env file holds a password (%v)", err)
	}
}

// workingTree is a directory the server's account can reach, as it reaches
// a checkout: when the tests run as root, initdb runs as another user.
func workingTree(t *testing.T) string {
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil { // #nosec G302 -- a test directory, traversal only
			t.Fatal(err)
		}
	}
	return dir
}

// stopServer ends the running start; set by start.
var stopServer func(t *testing.T)

// start runs devrun.Run as `make run` does, until the test stops it, and
// returns the address it serves on.
func start(t *testing.T, dataDir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"TASKBRIDGE_ADDR": "127.0.0.1:0", "TASKBRIDGE_METRICS_ADDR": "off"}
	go func() {
		err := devrun.Run(ctx, cli.Env{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: stdout, Stderr: t.Output()}, dataDir)
		stdout.CloseWithError(fmt.Errorf("make run returned: %w", err))
		done <- err
	}()
	stopped := false
	stopServer = func(t *testing.T) {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("make run: %v", err)
		}
	}
	t.Cleanup(func() { stopServer(t) })
	sc := bufio.NewScanner(out)
	var printed []string
	for sc.Scan() {
		printed = append(printed, sc.Text())
		if addr, ok := strings.CutPrefix(sc.Text(), "taskbridge is listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			if !strings.Contains(strings.Join(printed, "\n"), "rm -rf ") {
				t.Errorf("make run does not say how to remove its data:\n%s", strings.Join(printed, "\n"))
			}
			return addr
		}
	}
	t.Fatalf("make run printed no address: %v\n%s", sc.Err(), strings.Join(printed, "\n"))
	return ""
}

// run is an operator command with the given environment and stdin.
func run(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cli.Run(ctx, cli.Env{Args: args, Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: t.Output()})
	if err != nil {
		t.Fatalf("taskbridge %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// readEnvFile reads the export lines of the file `. .taskbridge-dev/env`
// sources.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path) // #nosec G304 -- the test's own file
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export ([A-Z_]+)='([^']*)'$`).FindAllStringSubmatch(string(raw), -1) {
		env[m[1]] = m[2]
	}
	if env["TASKBRIDGE_ENV"] != "dev" || env["DATABASE_URL"] == "" || env["TASKBRIDGE_MIGRATE_DATABASE_URL"] == "" || env[config.DevSecretsDirVar] == "" {
		t.Fatalf("%s lacks an export an operator command needs:\n%s", path, raw)
	}
	return env
}

// addNote writes a task with a note as the user, with the keys an operator
// command gets from the same environment.
func addNote(t *testing.T, env map[string]string, userID, note string) {
	t.Helper()
	getenv, err := config.WithDevSecrets(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(cfg.EncryptionKeys)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	uid, err := uuid.Parse(userID)
	if err != nil {
		t.Fatal(err)
	}
	err = db.InUserTx(ctx, uid, func(tx postgres.Querier) error {
		in := task.NewTask{Title: "groceries", Notes: note}
		if err := in.Normalize(); err != nil {
			return err
		}
		_, err := postgres.NewTasks(keys).Create(ctx, tx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func passwordOf(t *testing.T, dataDir, role string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "pgpass")) // #nosec G304 -- the test's own file
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m):` + role + `:(\S+)$`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatalf("pgpass has no %s line", role)
	}
	return m[1]
}
