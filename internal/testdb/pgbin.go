package testdb

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// debianBinGlob is where Debian and Ubuntu install the server binaries; they
// are not on PATH there.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// pgBinaries are the two programs a throwaway cluster needs; pg_ctl finds the
// postgres executable next to itself.
type pgBinaries struct {
	initdb string
	pgCtl  string
}

var errNoBinaries = errors.New("initdb and pg_ctl not found on PATH or under " + debianBinGlob)

func findPGBinaries() (pgBinaries, error) {
	initdb, errInitdb := exec.LookPath("initdb")
	pgCtl, errPgCtl := exec.LookPath("pg_ctl")
	if errInitdb == nil && errPgCtl == nil {
		return pgBinaries{initdb: resolveLink(initdb), pgCtl: resolveLink(pgCtl)}, nil
	}
	dirs, err := filepath.Glob(debianBinGlob)
	if err != nil {
		return pgBinaries{}, fmt.Errorf("look for PostgreSQL binaries: %w", err)
	}
	slices.SortFunc(dirs, func(a, b string) int {
		return slices.Compare(installVersion(b), installVersion(a)) // highest first
	})
	for _, dir := range dirs {
		bins := pgBinaries{initdb: filepath.Join(dir, "initdb"), pgCtl: filepath.Join(dir, "pg_ctl")}
		if isExecutable(bins.initdb) && isExecutable(bins.pgCtl) {
			return bins, nil
		}
	}
	return pgBinaries{}, errNoBinaries
}

// installVersion turns /usr/lib/postgresql/9.6/bin into [9 6] so that 16
// sorts above 9.6.
func installVersion(binDir string) []int {
	var parts []int
	for _, p := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		parts = append(parts, n)
	}
	return parts
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

func resolveLink(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}

// osAccount is the unprivileged user that runs initdb and postgres when the
// tests run as root: both refuse to run as root, so that a server compromise
// does not own the machine.
type osAccount struct {
	name     string
	uid, gid uint32
}

// serverAccount returns nil when the tests do not run as root (the cluster
// then runs as the current user).
func serverAccount() (*osAccount, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, errUID := strconv.ParseUint(u.Uid, 10, 32)
		gid, errGID := strconv.ParseUint(u.Gid, 10, 32)
		if errUID != nil || errGID != nil {
			errs = append(errs, fmt.Errorf("user %s has non-numeric ids %q:%q", name, u.Uid, u.Gid))
			continue
		}
		return &osAccount{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root, and no unprivileged user (postgres or nobody) to run the server as: %w", errors.Join(errs...))
}

// runAs makes cmd run as the account, without su or a shell. Supplementary
// groups are cleared, so none of root's groups leak into the server.
func (a *osAccount) runAs(cmd *exec.Cmd) {
	if a == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid}}
}

func (a *osAccount) chown(path string) error {
	if a == nil {
		return nil
	}
	if err := os.Chown(path, int(a.uid), int(a.gid)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, a.name, err)
	}
	return nil
}

// serverEnv is the environment for initdb and pg_ctl: the caller's, minus
// PG* variables (PGDATA, PGPORT, PGHOST...) that would point them elsewhere.
func serverEnv() []string {
	env := os.Environ()
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}
