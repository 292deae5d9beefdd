// Package devrun is `make run`: the server in dev mode, on DATABASE_URL when
// it is set, otherwise on a private PostgreSQL cluster it keeps under the
// working tree (initdb and pg_ctl from the local install, via
// dev/pgcluster). Either way the dev keys live with the dev data, so
// notes stay readable and the audit chain verifies across restarts.
//
// It is its own command (dev/run), never part of the taskbridge
// binary the image ships: that one starts no program (I7).
package devrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/config"
)

// Layout of the data directory (.taskbridge-dev by default).
const (
	clusterDir = "postgres" // the cluster: data/, server.log, the socket
	secretsDir = "secrets"  // TASKBRIDGE_DEV_SECRETS_DIR: the keys
	passFile   = "pgpass"   // the three database passwords, a libpq passfile
	envFile    = "env"      // exports for operator commands, no secret in it
)

// Run serves in dev mode until ctx ends, with the database and keys under
// dataDir, and stops the private cluster (if it started one) on the way out.
func Run(ctx context.Context, env cli.Env, dataDir string) error {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	mode := env.Getenv("TASKBRIDGE_ENV")
	if mode == "" {
		mode = string(config.ModeDev)
	}
	set := map[string]string{"TASKBRIDGE_ENV": mode}
	if mode == string(config.ModeDev) && env.Getenv(config.DevSecretsDirVar) == "" {
		set[config.DevSecretsDirVar] = filepath.Join(dataDir, secretsDir)
	}
	if env.Getenv("DATABASE_URL") != "" {
		fmt.Fprintf(env.Stdout, "dev keys: %s (delete it to start with new keys)\n", set[config.DevSecretsDirVar])
		return serve(ctx, env, set)
	}
	if mode != string(config.ModeDev) {
		return fmt.Errorf("TASKBRIDGE_ENV=%s: the private database is for development only; set DATABASE_URL", mode)
	}
	// 0711: the server runs as another account when make run runs as root,
	// and must reach postgres/; each entry inside guards itself.
	err = os.MkdirAll(dataDir, 0o711) // #nosec G301 -- traversal only, see above
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, dataDir)
	if err != nil {
		return fmt.Errorf("DATABASE_URL is unset, so make run starts its own PostgreSQL in %s: %w", dataDir, err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := db.cluster.Stop(stopCtx); err != nil {
			fmt.Fprintf(env.Stderr, "stopping the dev database: %v\n", err)
		}
	}()
	set["DATABASE_URL"] = db.url("taskbridge_app")
	set["TASKBRIDGE_MIGRATE_DATABASE_URL"] = db.url("taskbridge_owner")
	if err := writeEnvFile(filepath.Join(dataDir, envFile), set); err != nil {
		return err
	}
	rel := relative(dataDir)
	fmt.Fprintf(env.Stdout, `dev database: PostgreSQL in %s, on 127.0.0.1:%d
dev keys: %s (kept with the data: notes stay readable, the audit chain verifies)
operator commands: . %s/env && bin/taskbridge users list
to start over: stop make run, then rm -rf %s
`, filepath.Join(rel, clusterDir), db.cluster.Port(), filepath.Join(rel, secretsDir), rel, rel)
	return serve(ctx, env, set)
}

// serve runs `taskbridge serve --migrate` with set over the environment.
func serve(ctx context.Context, env cli.Env, set map[string]string) error {
	getenv := env.Getenv
	env.Getenv = func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		return getenv(name)
	}
	env.Args = []string{"serve", "--migrate"}
	return cli.Run(ctx, env)
}

// database is the private cluster with the roles made.
type database struct {
	cluster  *pgcluster.Cluster
	passfile string
}

// url connects as role to the taskbridge database; the password comes from
// the passfile, so the URL can be printed and written down.
func (d *database) url(role string) string {
	return d.cluster.DatabaseURL(role, "taskbridge", "") + "&passfile=" + strings.ReplaceAll(d.passfile, "&", "%26")
}

// openDatabase starts the cluster in dataDir, creating it (and its roles)
// on first use.
func openDatabase(ctx context.Context, dataDir string) (*database, error) {
	root := filepath.Join(dataDir, clusterDir)
	d := &database{passfile: filepath.Join(dataDir, passFile)}
	if pgcluster.Exists(root) {
		pw, err := readPasswords(d.passfile)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s holds a cluster whose set-up never finished: remove %s and start again", root, dataDir)
		}
		if err != nil {
			return nil, err
		}
		if d.cluster, err = pgcluster.Open(ctx, pgcluster.Options{Root: root, Password: pw["postgres"]}); err != nil {
			return nil, err
		}
		return d, nil
	}
	pw := map[string]string{}
	for _, role := range []string{"postgres", "taskbridge_owner", "taskbridge_app"} {
		pw[role] = randomPassword()
	}
	if err := os.RemoveAll(root); err != nil { // a half-made cluster from an interrupted first start
		return nil, err
	}
	if err := os.Mkdir(root, 0o700); err != nil {
		return nil, err
	}
	var err error
	if d.cluster, err = pgcluster.Create(ctx, pgcluster.Options{Root: root, Password: pw["postgres"]}); err != nil {
		return nil, err
	}
	if err := createRoles(ctx, d.cluster, pw); err != nil {
		return nil, errors.Join(err, d.cluster.Stop(context.WithoutCancel(ctx)))
	}
	// Written last: its presence says the set-up finished.
	if err := writePasswords(d.passfile, pw); err != nil {
		return nil, errors.Join(err, d.cluster.Stop(context.WithoutCancel(ctx)))
	}
	return d, nil
}

// randomPassword is 24 random bytes in hex: nothing to escape in a URL, a
// passfile or SQL.
func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// writePasswords writes a libpq passfile (host:port:database:user:password)
// for the cluster's loopback address.
func writePasswords(path string, pw map[string]string) error {
	var b strings.Builder
	b.WriteString("# make run's dev database (dev/devrun): a libpq passfile.\n")
	for _, role := range []string{"postgres", "taskbridge_owner", "taskbridge_app"} {
		fmt.Fprintf(&b, "127.0.0.1:*:*:%s:%s\n", role, pw[role])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func readPasswords(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path) // #nosec G304 -- the developer's own dev data directory
	if err != nil {
		return nil, err
	}
	pw := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Split(line, ":"); len(f) == 5 {
			pw[f[3]] = f[4]
		}
	}
	if pw["postgres"] == "" {
		return nil, fmt.Errorf("%s names no postgres password", path)
	}
	return pw, nil
}

// writeEnvFile writes the exports an operator command needs to reach this
// database, for `. .taskbridge-dev/env`. The port can change between starts,
// so it is rewritten every time.
func writeEnvFile(path string, set map[string]string) error {
	var b strings.Builder
	b.WriteString("# Written by make run for operator commands on its dev database:\n#   . " + relative(path) + " && bin/taskbridge users list\n# It holds no password (they are in the passfile next to it).\n")
	for _, name := range []string{"TASKBRIDGE_ENV", config.DevSecretsDirVar, "DATABASE_URL", "TASKBRIDGE_MIGRATE_DATABASE_URL"} {
		fmt.Fprintf(&b, "export %s='%s'\n", name, strings.ReplaceAll(set[name], "'", `'\''`))
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// relative shortens path to one relative to the working directory when it
// is inside it, for the lines a developer reads.
func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
