package packaging_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/devrun"
	"github.com/taskbridge/taskbridge/dev/testdb"
	"github.com/taskbridge/taskbridge/internal/cli"
)

// runWithoutDocker is the README's "Run without Docker" section taken apart:
// the SQL a superuser runs, the exported variables and the final command.
type runWithoutDocker struct {
	sql     string
	exports map[string]string
	command string
}

func parseRunWithoutDocker(t *testing.T) runWithoutDocker {
	t.Helper()
	blocks := codeBlocks(readmeSection(t, "Run without Docker"))
	const opener = "sudo -u postgres psql -v ON_ERROR_STOP=1 <<'SQL'\n"
	i := slices.IndexFunc(blocks, func(b string) bool { return strings.HasPrefix(b, opener) })
	if i < 0 || i+1 >= len(blocks) {
		t.Fatalf("Run without Docker needs a block starting %q (quoted, so the shell expands nothing), then the exports and make run:\n%q", opener, blocks)
	}
	sqlBlock := strings.TrimPrefix(blocks[i], opener)
	if !strings.HasSuffix(sqlBlock, "\nSQL\n") {
		t.Fatalf("the SQL block does not end with SQL:\n%s", blocks[i])
	}
	r := runWithoutDocker{sql: strings.TrimSuffix(sqlBlock, "SQL\n"), exports: map[string]string{}}
	exportLine := regexp.MustCompile(`^export ([A-Z_]+)='([^']*)'$`)
	for _, line := range strings.Split(strings.TrimSpace(blocks[i+1]), "\n") {
		if m := exportLine.FindStringSubmatch(line); m != nil {
			r.exports[m[1]] = m[2]
			continue
		}
		if r.command != "" {
			t.Fatalf("unexpected line after %q: %q", r.command, line)
		}
		r.command = line
	}
	return r
}

// TestReadmeRunWithoutDockerCommandsAreTheBuiltOnes: the section starts with
// `make run` alone, shows operator commands as the binary make builds
// (bin/taskbridge, not a `taskbridge` on PATH), with the exports make run
// writes, and make run is what dev/run does.
func TestReadmeRunWithoutDockerCommandsAreTheBuiltOnes(t *testing.T) {
	section := readmeSection(t, "Run without Docker")
	blocks := codeBlocks(section)
	if len(blocks) == 0 || strings.TrimSpace(blocks[0]) != "make run" {
		t.Errorf("Run without Docker does not start with a plain `make run`: %q", blocks)
	}
	operator := slices.IndexFunc(blocks, func(b string) bool { return strings.HasPrefix(b, ". .taskbridge-dev/env\n") })
	if operator < 0 || !strings.Contains(blocks[operator], "bin/taskbridge users create --email ") {
		t.Errorf("no block sources .taskbridge-dev/env and runs bin/taskbridge users create: %q", blocks)
	}
	for _, text := range []string{section, readmeSection(t, "Try it")} {
		if m := regexp.MustCompile("(?m)(^|[\\s`(])taskbridge (users|audit|migrate|keys|serve)\\b").FindString(text); m != "" {
			t.Errorf("README writes %q: make builds bin/taskbridge", strings.TrimSpace(m))
		}
	}
	if !regexp.MustCompile(`(?m)^run: .*\n\t.*build .*-o bin/taskbridge-dev \./dev/run\n\t\./bin/taskbridge-dev$`).MatchString(readRepoFile(t, "Makefile")) {
		t.Error("the Makefile's run target no longer builds and runs bin/taskbridge-dev; update this test and the README")
	}
}

// createRoleStatements returns each CREATE ROLE statement with its password
// clause removed and whitespace collapsed.
func createRoleStatements(sql string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?s)CREATE ROLE .*?;`).FindAllString(sql, -1) {
		m = regexp.MustCompile(`\s+PASSWORD\s+:?'[^']*'`).ReplaceAllString(m, "")
		out = append(out, strings.Join(strings.Fields(m), " "))
	}
	slices.Sort(out)
	return out
}

// TestReadmeRolesMatchInitScript: the roles a reader creates by hand are the
// ones the container init script creates (same attributes, same membership),
// so both installs meet what the migrations and postgres.Open expect.
func TestReadmeRolesMatchInitScript(t *testing.T) {
	readme := createRoleStatements(parseRunWithoutDocker(t).sql)
	script := createRoleStatements(initRolesSQL(t, readRepoFile(t, "deploy/postgres/init-roles.sh")))
	if !slices.Equal(readme, script) {
		t.Fatalf("README roles differ from deploy/postgres/init-roles.sh:\nREADME: %q\nscript: %q", readme, script)
	}
	if len(readme) != 3 {
		t.Fatalf("want the owner, runtime and app roles, got %q", readme)
	}
}

// sqlStatements splits SQL into whitespace-collapsed statements, without
// psql meta-commands (\connect) and comments.
func sqlStatements(sql string) []string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		line, _, _ = strings.Cut(line, "--")
		if !strings.HasPrefix(strings.TrimSpace(line), `\`) {
			b.WriteString(line + "\n")
		}
	}
	var out []string
	for _, stmt := range strings.Split(b.String(), ";") {
		if stmt = strings.Join(strings.Fields(stmt), " "); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// TestDevRunRolesMatchInitScript: make run's private database gets exactly
// the statements the containers' init script runs (same roles, same
// grants and revocations), so a dev database meets what the migrations and
// postgres.Open expect, as production's does.
func TestDevRunRolesMatchInitScript(t *testing.T) {
	dev := sqlStatements(devrun.RolesSQL)
	script := sqlStatements(initRolesSQL(t, readRepoFile(t, "deploy/postgres/init-roles.sh")))
	if !slices.Equal(dev, script) {
		t.Fatalf("dev/devrun RolesSQL differs from deploy/postgres/init-roles.sh:\ndevrun: %q\nscript: %q", dev, script)
	}
	if !strings.Contains(devrun.RolesSQL, "\\connect taskbridge\n") {
		t.Error("RolesSQL lost the \\connect taskbridge that splits it between the two databases")
	}
}

// TestReadmeRunWithoutDocker follows "On your own PostgreSQL server" on a
// fresh PostgreSQL cluster: the SQL block through psql, then make run
// (devrun.Run, what bin/taskbridge-dev runs) with the README's exports until
// /readyz answers 200, then an operator command with the same exports. A
// role setup the migrations or postgres.Open reject fails it, and so does
// an export list that leaves the operator commands under production rules.
func TestReadmeRunWithoutDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	steps := parseRunWithoutDocker(t)
	if steps.command != "make run" {
		t.Fatalf("the section ends with %q; this test knows what `make run` does", steps.command)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cluster, err := testdb.NewCluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Close(); err != nil {
			t.Error(err)
		}
	})
	superuser, err := url.Parse(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}

	psql := exec.CommandContext(ctx, psqlPath(t), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", cluster.URL())
	psql.Stdin = strings.NewReader(steps.sql)
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("the README's SQL failed: %v\n%s", err, out)
	}

	env := map[string]string{}
	for name, v := range steps.exports {
		env[name] = v
	}
	for _, name := range []string{"TASKBRIDGE_MIGRATE_DATABASE_URL", "DATABASE_URL"} {
		v, ok := steps.exports[name]
		if !ok || !strings.Contains(v, "@127.0.0.1:5432/") {
			t.Fatalf("the README exports no %s on 127.0.0.1:5432: %q", name, v)
		}
		env[name] = strings.Replace(v, "@127.0.0.1:5432/", "@"+superuser.Host+"/", 1)
	}
	dataDir := t.TempDir()
	if rel, ok := env["TASKBRIDGE_DEV_SECRETS_DIR"]; ok {
		env["TASKBRIDGE_DEV_SECRETS_DIR"] = filepath.Join(dataDir, strings.TrimPrefix(rel, ".taskbridge-dev/"))
	}
	getenv := func(k string) string { return env[k] }
	serveEnv := map[string]string{"TASKBRIDGE_ADDR": "127.0.0.1:0", "TASKBRIDGE_METRICS_ADDR": "off"}

	out, stdout := io.Pipe()
	served := make(chan error, 1)
	serveCtx, stop := context.WithCancel(ctx)
	go func() {
		err := devrun.Run(serveCtx, cli.Env{
			Getenv: func(k string) string {
				if v, ok := serveEnv[k]; ok {
					return v
				}
				return getenv(k)
			},
			Stdin: strings.NewReader(""), Stdout: stdout, Stderr: t.Output(),
		}, dataDir)
		served <- err
		stdout.CloseWithError(fmt.Errorf("make run returned: %w", err))
	}()
	addr, err := listeningAddr(out)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d", resp.StatusCode)
	}

	var opOut strings.Builder
	err = cli.Run(ctx, cli.Env{Args: []string{"users", "create", "--email", "you@example.com"}, Getenv: getenv,
		Stdin: strings.NewReader("correct horse battery staple 42\n"), Stdout: &opOut, Stderr: &opOut})
	if err != nil || !strings.Contains(opOut.String(), "created user") {
		t.Errorf("an operator command with the README's exports: %v\n%s", err, opOut.String())
	}
	stop()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("make run: %v", err)
	}
}

// listeningAddr reads serve's stdout until it prints its address.
func listeningAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "taskbridge is listening on "); ok {
			return addr, nil
		}
	}
	return "", fmt.Errorf("serve printed no address: %w", sc.Err())
}

// psqlPath finds psql on PATH or beside the PostgreSQL server binaries.
func psqlPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	slices.Sort(matches)
	for i := len(matches) - 1; i >= 0; i-- {
		if info, err := os.Stat(matches[i]); err == nil && info.Mode()&0o111 != 0 {
			return matches[i]
		}
	}
	t.Fatal("psql not found (Debian/Ubuntu: apt-get install postgresql-client)")
	return ""
}
