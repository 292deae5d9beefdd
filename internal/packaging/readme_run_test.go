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

	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/testdb"
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
	if len(blocks) != 2 {
		t.Fatalf("Run without Docker has %d code blocks, want 2 (the SQL, then the exports and make run)", len(blocks))
	}
	const opener = "sudo -u postgres psql -v ON_ERROR_STOP=1 <<'SQL'\n"
	sqlBlock, ok := strings.CutPrefix(blocks[0], opener)
	if !ok || !strings.HasSuffix(sqlBlock, "\nSQL\n") {
		t.Fatalf("the first block must be %q ... SQL (quoted, so the shell expands nothing):\n%s", opener, blocks[0])
	}
	r := runWithoutDocker{sql: strings.TrimSuffix(sqlBlock, "SQL\n"), exports: map[string]string{}}
	exportLine := regexp.MustCompile(`^export ([A-Z_]+)='([^']*)'$`)
	for _, line := range strings.Split(strings.TrimSpace(blocks[1]), "\n") {
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

// TestReadmeRunWithoutDocker follows "Run without Docker" on a fresh
// PostgreSQL cluster: the SQL block through psql, then what `make run` does
// (serve --migrate in dev mode) with the README's exports, until /readyz
// answers 200. A role setup the migrations or postgres.Open reject fails it.
func TestReadmeRunWithoutDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	steps := parseRunWithoutDocker(t)
	if steps.command != "make run" {
		t.Fatalf("the section ends with %q; this test knows what `make run` does", steps.command)
	}
	makefile := readRepoFile(t, "Makefile")
	if !regexp.MustCompile(`(?m)^run: .*\n\tTASKBRIDGE_ENV=\$\$\{TASKBRIDGE_ENV:-dev\} \./\$\(BIN\) serve --migrate$`).MatchString(makefile) {
		t.Fatal("the Makefile's run target is no longer `TASKBRIDGE_ENV=${TASKBRIDGE_ENV:-dev} bin/taskbridge serve --migrate`; update this test and the README")
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

	env := map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_ADDR": "127.0.0.1:0", "TASKBRIDGE_METRICS_ADDR": "off"}
	for _, name := range []string{"TASKBRIDGE_MIGRATE_DATABASE_URL", "DATABASE_URL"} {
		v, ok := steps.exports[name]
		if !ok || !strings.Contains(v, "@127.0.0.1:5432/") {
			t.Fatalf("the README exports no %s on 127.0.0.1:5432: %q", name, v)
		}
		env[name] = strings.Replace(v, "@127.0.0.1:5432/", "@"+superuser.Host+"/", 1)
	}

	out, stdout := io.Pipe()
	served := make(chan error, 1)
	serveCtx, stop := context.WithCancel(ctx)
	go func() {
		err := cli.Run(serveCtx, cli.Env{
			Args:   []string{"serve", "--migrate"},
			Getenv: func(k string) string { return env[k] },
			Stdin:  strings.NewReader(""), Stdout: stdout, Stderr: t.Output(),
		})
		served <- err
		stdout.CloseWithError(fmt.Errorf("serve returned: %w", err))
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
	stop()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
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
