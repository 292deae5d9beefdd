package packaging_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgpassfile"
)

// runDevDBEntrypoint runs dev/db-entrypoint.sh as the postgres image would
// (as root), with a stand-in docker-entrypoint.sh that records the
// arguments and the environment it is handed.
func runDevDBEntrypoint(t *testing.T, secrets, pgdata string) (handed map[string]string, output string) {
	t.Helper()
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "handed")
	stub := "#!/bin/sh\n{ echo \"ARGS=$*\"; env; } > " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-entrypoint.sh"), []byte(stub), 0o700); err != nil { // #nosec G306 -- a test stub that must be executable
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", filepath.Join(repoRoot(t), "dev", "db-entrypoint.sh"), "postgres")
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "TASKBRIDGE_DEV_SECRETS_ROOT=" + secrets, "PGDATA=" + pgdata}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("db-entrypoint.sh: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(record) // #nosec G304 -- the test's own file
	if err != nil {
		t.Fatal(err)
	}
	handed = map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			handed[k] = v
		}
	}
	return handed, string(out)
}

// TestDevDBEntrypointMakesSecretsOnceAndKeepsThemApart runs the dev stack's
// database entry point twice on one volume: the first start makes three
// random passwords and the passfiles the taskbridge services read, each
// directory owned by its reader only, and hands the role passwords to the
// init script; the second start keeps them and hands nothing. Nothing is
// printed.
func TestDevDBEntrypointMakesSecretsOnceAndKeepsThemApart(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the entry point runs as root in the container (it gives each directory to its reader)")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("no postgres user here to own db/:", err)
	}
	secrets, pgdata := filepath.Join(t.TempDir(), "dev-secrets"), t.TempDir()
	if err := os.Mkdir(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	handed, out := runDevDBEntrypoint(t, secrets, pgdata)

	read := func(rel string) string {
		raw, err := os.ReadFile(filepath.Join(secrets, rel)) // #nosec G304 -- the test's own files
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(raw))
	}
	passwords := map[string]string{}
	for _, name := range []string{"postgres-password", "owner-password", "app-password"} {
		pw := read("db/" + name)
		if !regexp.MustCompile(`^[0-9a-f]{48}$`).MatchString(pw) {
			t.Errorf("db/%s is not 24 random bytes in hex", name)
		}
		for other, seen := range passwords {
			if seen == pw {
				t.Errorf("db/%s repeats %s", name, other)
			}
		}
		passwords[name] = pw
		if strings.Contains(out, pw) {
			t.Errorf("the entry point printed %s", name)
		}
	}

	if handed["ARGS"] != "postgres" || handed["POSTGRES_PASSWORD_FILE"] != filepath.Join(secrets, "db", "postgres-password") {
		t.Errorf("handed args %q and POSTGRES_PASSWORD_FILE %q", handed["ARGS"], handed["POSTGRES_PASSWORD_FILE"])
	}
	if handed["TASKBRIDGE_OWNER_DB_PASSWORD"] != passwords["owner-password"] || handed["TASKBRIDGE_APP_DB_PASSWORD"] != passwords["app-password"] {
		t.Error("on an empty data directory the init script does not get the role passwords")
	}
	if _, ok := handed["POSTGRES_PASSWORD"]; ok {
		t.Error("the superuser password is handed in the environment, not as a file")
	}

	pgUID, _ := strconv.Atoi(pg.Uid)
	for _, tc := range []struct {
		rel  string
		uid  int
		mode os.FileMode
	}{
		{".", 0, 0o711},
		{"db", pgUID, 0o700}, {"db/postgres-password", pgUID, 0o600}, {"db/owner-password", pgUID, 0o600}, {"db/app-password", pgUID, 0o600},
		{"migrate", 65533, 0o750}, {"migrate/pgpass", 65533, 0o640},
		{"app", 65532, 0o700}, {"app/pgpass", 65532, 0o600},
	} {
		info, err := os.Stat(filepath.Join(secrets, tc.rel))
		if err != nil {
			t.Error(err)
			continue
		}
		st := info.Sys().(*syscall.Stat_t)
		if int(st.Uid) != tc.uid || info.Mode().Perm() != tc.mode {
			t.Errorf("%s: uid %d mode %v, want uid %d mode %v", tc.rel, st.Uid, info.Mode().Perm(), tc.uid, tc.mode)
		}
	}
	for _, tc := range []struct{ file, role, want string }{
		{"migrate/pgpass", "taskbridge_owner", passwords["owner-password"]},
		{"app/pgpass", "taskbridge_app", passwords["app-password"]},
	} {
		pf, err := pgpassfile.ReadPassfile(filepath.Join(secrets, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := pf.FindPassword("db", "5432", "taskbridge", tc.role); got != tc.want {
			t.Errorf("%s gives %s the wrong password", tc.file, tc.role)
		}
		if got := pf.FindPassword("db", "5432", "taskbridge", "postgres"); got != "" {
			t.Errorf("%s holds the superuser's password", tc.file)
		}
	}

	// A restart: the data directory is initialised, the passwords stay.
	if err := os.WriteFile(filepath.Join(pgdata, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	handed, _ = runDevDBEntrypoint(t, secrets, pgdata)
	for name, pw := range passwords {
		if read("db/"+name) != pw {
			t.Errorf("a restart changed db/%s", name)
		}
	}
	if _, ok := handed["TASKBRIDGE_OWNER_DB_PASSWORD"]; ok {
		t.Error("a restart hands the role passwords to a server that no longer needs them")
	}
}
