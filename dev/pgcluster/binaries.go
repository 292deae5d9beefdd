package pgcluster

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

// DebianBinGlob is where Debian and Ubuntu install the server binaries; they
// are not on PATH there.
const DebianBinGlob = "/usr/lib/postgresql/*/bin"

// Binaries are the two programs a cluster needs; pg_ctl finds the postgres
// executable next to itself.
type Binaries struct {
	Initdb string
	PgCtl  string
}

// ErrNoBinaries is FindBinaries' error when PostgreSQL is not installed.
var ErrNoBinaries = errors.New("initdb and pg_ctl not found on PATH or under " + DebianBinGlob)

// FindBinaries looks on PATH, then under Debian's install directories,
// highest version first.
func FindBinaries() (Binaries, error) {
	initdb, errInitdb := exec.LookPath("initdb")
	pgCtl, errPgCtl := exec.LookPath("pg_ctl")
	if errInitdb == nil && errPgCtl == nil {
		return Binaries{Initdb: resolveLink(initdb), PgCtl: resolveLink(pgCtl)}, nil
	}
	dirs, err := filepath.Glob(DebianBinGlob)
	if err != nil {
		return Binaries{}, fmt.Errorf("look for PostgreSQL binaries: %w", err)
	}
	slices.SortFunc(dirs, func(a, b string) int {
		return slices.Compare(installVersion(b), installVersion(a)) // highest first
	})
	for _, dir := range dirs {
		bins := Binaries{Initdb: filepath.Join(dir, "initdb"), PgCtl: filepath.Join(dir, "pg_ctl")}
		if isExecutable(bins.Initdb) && isExecutable(bins.PgCtl) {
			return bins, nil
		}
	}
	return Binaries{}, ErrNoBinaries
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

// Account is the unprivileged user that runs initdb and postgres when this
// process runs as root: both refuse to run as root, so that a server
// compromise does not own the machine.
type Account struct {
	name     string
	uid, gid uint32
}

// ServerAccount returns nil when this process does not run as root (the
// cluster then runs as the current user).
func ServerAccount() (*Account, error) {
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
		return &Account{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root, and no unprivileged user (postgres or nobody) to run the server as: %w", errors.Join(errs...))
}

// runAs makes cmd run as the account, without su or a shell. Supplementary
// groups are cleared, so none of root's groups leak into the server.
func (a *Account) runAs(cmd *exec.Cmd) {
	if a == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid}}
}

// Chown gives path to the account, so the server can use it; nothing when
// the account is nil.
func (a *Account) Chown(path string) error {
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
