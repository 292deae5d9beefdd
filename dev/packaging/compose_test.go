package packaging_test

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// secretName matches variable names that carry credentials.
func secretName(name string) bool {
	return regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|_KEYS?$|DATABASE_URL)`).MatchString(name)
}

// sentinel is the fake value the tests give a secret: recognisable wherever
// it ends up, and safe inside a URL's user information.
func sentinel(name string) string {
	return "sentinel-" + strings.ToLower(name)
}

// devSecretsRoot is where every service mounts the dev-secrets volume;
// each reads only its own directory below it.
const devSecretsRoot = "/run/taskbridge-dev"

// loadCompose loads docker-compose.yml as `docker compose` would, with env as
// the only source of interpolated values (no .env file, no process env).
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	return loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping(env),
	}, loader.WithProfiles([]string{"ops"}))
}

func mustLoadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	p, err := loadCompose(t, env)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

func envValue(s types.ServiceConfig, name string) (string, bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// composeText is docker-compose.yml without its comment lines, which may
// show ${VAR} examples that compose never interpolates.
func composeText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(readRepoFile(t, "docker-compose.yml"), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func TestComposeHasItsServices(t *testing.T) {
	p := mustLoadCompose(t, nil)
	got := p.ServiceNames()
	sort.Strings(got)
	if want := []string{"app", "db", "migrate", "ops"}; !slices.Equal(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	if ops := service(t, p, "ops"); !slices.Equal(ops.Profiles, []string{"ops"}) {
		t.Errorf("ops profiles = %v: `docker compose up` must not start it", ops.Profiles)
	}
	if regexp.MustCompile(`(?m)^version:`).MatchString(readRepoFile(t, "docker-compose.yml")) {
		t.Error("docker-compose.yml has a top-level version key; the Compose spec dropped it")
	}
}

// TestComposeNeverPullsItsOwnImage: the services that do not build
// taskbridge:local never try to pull it (TestComposeBuildsEachImageOnce
// checks one service builds it); the builder builds rather than pulls.
func TestComposeNeverPullsItsOwnImage(t *testing.T) {
	p := mustLoadCompose(t, nil)
	for name, s := range p.Services {
		if s.Image != "taskbridge:local" {
			continue
		}
		want := types.PullPolicyNever
		if s.Build != nil {
			want = types.PullPolicyBuild
		}
		if s.PullPolicy != want {
			t.Errorf("%s: pull_policy = %q, want %s", name, s.PullPolicy, want)
		}
	}
}

func TestComposeDatabaseIsHealthCheckedAndPersistent(t *testing.T) {
	p := mustLoadCompose(t, nil)
	db := service(t, p, "db")

	hc := db.HealthCheck
	if hc == nil || hc.Disable || len(hc.Test) == 0 {
		t.Fatal("db has no healthcheck: app and migrate could start before PostgreSQL accepts connections")
	}
	if !slices.Contains(hc.Test, "pg_isready") {
		t.Errorf("db healthcheck %q does not run pg_isready", hc.Test)
	}
	if len(db.Ports) != 0 {
		t.Errorf("db publishes ports %v; the database must be reachable only by the other services", db.Ports)
	}

	var dataVolume, initScript bool
	root := repoRoot(t)
	for _, v := range db.Volumes {
		switch {
		case v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data":
			if _, declared := p.Volumes[v.Source]; !declared || v.Source == "" {
				t.Errorf("db data volume %q is not a declared named volume", v.Source)
			}
			dataVolume = true
		case v.Type == types.VolumeTypeBind && strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/"):
			src := v.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(root, src)
			}
			if filepath.Clean(src) != filepath.Join(root, "deploy", "postgres", "init-roles.sh") {
				t.Errorf("db init mount source = %s, want deploy/postgres/init-roles.sh", v.Source)
			}
			if !v.ReadOnly {
				t.Error("db init script is mounted writable; mount it :ro")
			}
			initScript = true
		}
	}
	if !dataVolume {
		t.Error("db keeps its data in no named volume at /var/lib/postgresql/data")
	}
	if !initScript {
		t.Error("db does not mount deploy/postgres/init-roles.sh into /docker-entrypoint-initdb.d")
	}
}

func TestComposeStartsInOrder(t *testing.T) {
	p := mustLoadCompose(t, nil)
	migrate := service(t, p, "migrate")
	app := service(t, p, "app")

	wantDeps := map[string]map[string]string{
		"migrate": {"db": types.ServiceConditionHealthy},
		"app":     {"db": types.ServiceConditionHealthy, "migrate": types.ServiceConditionCompletedSuccessfully},
	}
	for svc, deps := range wantDeps {
		got := p.Services[svc].DependsOn
		for dep, cond := range deps {
			if d, ok := got[dep]; !ok || d.Condition != cond {
				t.Errorf("%s depends_on %s: condition %q, want %q", svc, dep, d.Condition, cond)
			}
		}
	}
	if got := []string(migrate.Command); !slices.Equal(got, []string{"migrate", "up"}) {
		t.Errorf("migrate command = %q, want [migrate up]", got)
	}
	if migrate.Restart != types.RestartPolicyNo {
		t.Errorf("migrate restart = %q, want \"no\": a failed migration must stop app from starting, not loop", migrate.Restart)
	}
	if got := []string(app.Command); !slices.Equal(got, []string{"serve"}) {
		t.Errorf("app command = %q, want [serve]", got)
	}
}

func TestComposePublishesOnlyOnLoopback(t *testing.T) {
	p := mustLoadCompose(t, nil)
	app := service(t, p, "app")

	var appPublished bool
	for name, s := range p.Services {
		for _, port := range s.Ports {
			ip, err := netip.ParseAddr(port.HostIP)
			if err != nil || !ip.IsLoopback() {
				t.Errorf("%s publishes %s:%s->%d: bind the host side to 127.0.0.1", name, port.HostIP, port.Published, port.Target)
			}
			if name == "app" && port.Target == 8080 {
				appPublished = true
			}
		}
	}
	if !appPublished {
		t.Error("app does not publish its HTTP port 8080")
	}

	metrics, ok := envValue(app, "TASKBRIDGE_METRICS_ADDR")
	if !ok {
		t.Fatal("app does not set TASKBRIDGE_METRICS_ADDR explicitly")
	}
	host, port, err := net.SplitHostPort(metrics)
	if err != nil {
		t.Fatalf("TASKBRIDGE_METRICS_ADDR %q: %v", metrics, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		t.Errorf("TASKBRIDGE_METRICS_ADDR %q listens beyond the container's loopback", metrics)
	}
	for name, s := range p.Services {
		for _, pc := range s.Ports {
			if pc.Published == port || strconv.FormatUint(uint64(pc.Target), 10) == port {
				t.Errorf("%s publishes the metrics port %s", name, port)
			}
		}
		if slices.Contains(s.Expose, port) {
			t.Errorf("%s exposes the metrics port %s", name, port)
		}
	}
}

// TestComposeNeedsNoSecretFromTheHost: `docker compose up` on a clean clone
// loads with an empty environment and no .env, and the file interpolates no
// credential at all: the stack makes its own (dev/db-entrypoint.sh, the
// server's TASKBRIDGE_DEV_SECRETS_DIR).
func TestComposeNeedsNoSecretFromTheHost(t *testing.T) {
	if _, err := loadCompose(t, nil); err != nil {
		t.Fatalf("with an empty environment, load failed: %v", err)
	}
	text := composeText(t)
	if m := regexp.MustCompile(`(^|[^$])\$[A-Za-z_]`).FindString(text); m != "" {
		t.Errorf("docker-compose.yml uses $VAR without braces (%q)", m)
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(text, -1) {
		if secretName(m[1]) {
			t.Errorf("docker-compose.yml interpolates %s: the dev stack makes its secrets itself", m[1])
		}
	}
}

// TestComposeHoldsNoLiteralSecret: no credential is written into the file.
// Database URLs name a role and a passfile, never a password; the only
// other credential-named variables name directories of the dev-secrets
// volume.
func TestComposeHoldsNoLiteralSecret(t *testing.T) {
	p := mustLoadCompose(t, nil)
	for svcName, s := range p.Services {
		if len(s.EnvFiles) != 0 {
			t.Errorf("%s uses env_file: every secret in it would reach this service", svcName)
		}
		for name, v := range s.Environment {
			if v == nil {
				continue
			}
			value := *v
			if u, err := url.Parse(value); err == nil && u.User != nil {
				if _, ok := u.User.Password(); ok {
					t.Errorf("%s: %s has a password written into the file", svcName, name)
				}
				if pf := u.Query().Get("passfile"); !strings.HasPrefix(pf, devSecretsRoot+"/") {
					t.Errorf("%s: %s takes its password from %q, not a passfile in the dev-secrets volume", svcName, name, pf)
				}
				continue
			}
			// A place in the dev-secrets volume is where secrets are, not one.
			if secretName(name) && value != devSecretsRoot && !strings.HasPrefix(value, devSecretsRoot+"/") {
				t.Errorf("%s: %s is written into the file", svcName, name)
			}
		}
	}
}

// secretsDirsOf lists the dev-secrets directories a service reads, from the
// passfiles and TASKBRIDGE_DEV_SECRETS_DIR it is given.
func secretsDirsOf(t *testing.T, s types.ServiceConfig) []string {
	t.Helper()
	var dirs []string
	add := func(path string) {
		rel, ok := strings.CutPrefix(path, devSecretsRoot+"/")
		if !ok {
			t.Errorf("%s reads secrets from %q, outside %s", s.Name, path, devSecretsRoot)
			return
		}
		dir, _, _ := strings.Cut(rel, "/")
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	for name, v := range s.Environment {
		switch {
		case v == nil:
		case name == "TASKBRIDGE_DEV_SECRETS_DIR":
			add(*v)
		default:
			if u, err := url.Parse(*v); err == nil && u.Query().Get("passfile") != "" {
				add(u.Query().Get("passfile"))
			}
		}
	}
	sort.Strings(dirs)
	return dirs
}

// TestComposeGivesEachSecretOnlyToItsService: the server reads only app/
// (its passfile and keys), the migration job only migrate/ (the owner's
// passfile), the ops job both; each runs as the account that owns what it
// reads (dev/db-entrypoint.sh sets the owners, which
// TestDevDBEntrypointMakesSecretsOnceAndKeepsThemApart checks), and only
// the server may write (its keys).
func TestComposeGivesEachSecretOnlyToItsService(t *testing.T) {
	p := mustLoadCompose(t, nil)
	for _, tc := range []struct {
		svc      string
		dirs     []string
		user     string
		groups   []string
		writable bool
	}{
		{"app", []string{"app"}, "", nil, true},
		{"migrate", []string{"migrate"}, "65533:65533", nil, false},
		{"ops", []string{"app", "migrate"}, "65532:65532", []string{"65533"}, false},
	} {
		s := service(t, p, tc.svc)
		if got := secretsDirsOf(t, s); !slices.Equal(got, tc.dirs) {
			t.Errorf("%s reads secrets from %v, want %v", tc.svc, got, tc.dirs)
		}
		if s.User != tc.user || !slices.Equal(s.GroupAdd, tc.groups) {
			t.Errorf("%s runs as %q with groups %v, want %q and %v", tc.svc, s.User, s.GroupAdd, tc.user, tc.groups)
		}
		for _, v := range s.Volumes {
			if v.Source == "dev-secrets" && v.Target == devSecretsRoot && v.ReadOnly == tc.writable {
				t.Errorf("%s mounts dev-secrets read_only=%v, want %v", tc.svc, v.ReadOnly, !tc.writable)
			}
		}
	}
	if u, _ := envValue(service(t, p, "app"), "DATABASE_URL"); !strings.HasPrefix(u, "postgres://taskbridge_app@db:5432/taskbridge?") {
		t.Errorf("app DATABASE_URL = %q, want taskbridge_app on db/taskbridge", u)
	}
	if u, _ := envValue(service(t, p, "migrate"), "TASKBRIDGE_MIGRATE_DATABASE_URL"); !strings.HasPrefix(u, "postgres://taskbridge_owner@db:5432/taskbridge?") {
		t.Errorf("migrate TASKBRIDGE_MIGRATE_DATABASE_URL = %q, want taskbridge_owner on db/taskbridge", u)
	}
}

func TestComposeHardensTaskbridgeContainers(t *testing.T) {
	p := mustLoadCompose(t, nil)
	for _, name := range []string{"app", "migrate", "ops"} {
		s := service(t, p, name)
		if !s.ReadOnly {
			t.Errorf("%s: root filesystem is writable; set read_only: true", name)
		}
		if !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: cap_drop = %v, want [ALL]", name, s.CapDrop)
		}
		if len(s.CapAdd) != 0 || s.Privileged {
			t.Errorf("%s: adds capabilities %v / privileged=%v", name, s.CapAdd, s.Privileged)
		}
		if !slices.ContainsFunc(s.SecurityOpt, func(o string) bool {
			return o == "no-new-privileges:true" || o == "no-new-privileges"
		}) {
			t.Errorf("%s: security_opt %v lacks no-new-privileges:true", name, s.SecurityOpt)
		}
		if s.User == "root" || s.User == "0" || strings.HasPrefix(s.User, "0:") {
			t.Errorf("%s: overrides the image's non-root user with %q", name, s.User)
		}
	}
	if r := service(t, p, "app").Restart; r != types.RestartPolicyUnlessStopped {
		t.Errorf("app restart = %q, want unless-stopped", r)
	}
}

func TestComposeDatabaseStaysOnAnInternalNetwork(t *testing.T) {
	p := mustLoadCompose(t, nil)
	db := service(t, p, "db")
	if len(db.Networks) == 0 {
		t.Fatal("db is on the default network, which has a route out")
	}
	for name := range db.Networks {
		if !p.Networks[name].Internal {
			t.Errorf("db joins network %s, which is not internal", name)
		}
	}
}

func TestComposeAppEnvironment(t *testing.T) {
	app := service(t, mustLoadCompose(t, nil), "app")
	for name, want := range map[string]string{
		"TASKBRIDGE_ENV":        "dev",
		"TASKBRIDGE_ADDR":       "0.0.0.0:8080",
		"TASKBRIDGE_PUBLIC_URL": "http://localhost:8080",
	} {
		if got, _ := envValue(app, name); got != want {
			t.Errorf("app %s = %q, want %q", name, got, want)
		}
	}

	env := map[string]string{}
	env["TASKBRIDGE_PUBLIC_URL"] = "https://tunnel.example"
	app = service(t, mustLoadCompose(t, env), "app")
	if got, _ := envValue(app, "TASKBRIDGE_PUBLIC_URL"); got != "https://tunnel.example" {
		t.Errorf("TASKBRIDGE_PUBLIC_URL from .env is not used: got %q", got)
	}
}

func readEnvExample(t *testing.T) map[string]string {
	t.Helper()
	env, err := dotenv.Parse(strings.NewReader(readRepoFile(t, ".env.example")))
	if err != nil {
		t.Fatalf("parse .env.example: %v", err)
	}
	return env
}

// TestEnvExampleIsCompleteAndHarmless: `cp .env.example .env` yields a file
// compose accepts, every variable compose reads is documented there, and it
// holds no secret: the dev stack makes its own.
func TestEnvExampleIsCompleteAndHarmless(t *testing.T) {
	example := readEnvExample(t)
	if _, err := loadCompose(t, example); err != nil {
		t.Errorf("docker-compose.yml does not load with .env.example's values: %v", err)
	}
	text := readRepoFile(t, ".env.example")
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(composeText(t), -1) {
		name := m[1]
		if _, set := example[name]; !set && !regexp.MustCompile(`(?m)^#\s*`+name+`=`).MatchString(text) {
			t.Errorf(".env.example does not mention %s", name)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^#?\s*([A-Z_]+)=`).FindAllStringSubmatch(text, -1) {
		if secretName(m[1]) {
			t.Errorf(".env.example sets %s: the dev stack needs no secret from .env", m[1])
		}
	}
}

func TestGitIgnoresDotEnv(t *testing.T) {
	lines := strings.Split(readRepoFile(t, ".gitignore"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if !slices.Contains(lines, "/.env") && !slices.Contains(lines, ".env") {
		t.Error(".gitignore does not ignore .env, the file that holds the real secrets")
	}
	if !slices.Contains(lines, "!/.env.example") && !slices.Contains(lines, "!.env.example") {
		t.Error(".gitignore does not re-include .env.example")
	}
}

// initRolesSQL returns the SQL the init script feeds psql, without comments
// or psql meta-commands.
func initRolesSQL(t *testing.T, script string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<<'SQL'\n(.*?)\nSQL\n`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("init-roles.sh has no quoted <<'SQL' here-document; an unquoted one lets the shell expand $ inside SQL")
	}
	var b strings.Builder
	for _, line := range strings.Split(m[1], "\n") {
		line, _, _ = strings.Cut(line, "--")
		if strings.HasPrefix(strings.TrimSpace(line), `\`) {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func TestInitRolesCreatesLeastPrivilegeRoles(t *testing.T) {
	script := readRepoFile(t, "deploy/postgres/init-roles.sh")
	if info, err := os.Stat(filepath.Join(repoRoot(t), "deploy", "postgres", "init-roles.sh")); err == nil && info.Mode()&0o111 == 0 {
		t.Error("init-roles.sh is not executable")
	}
	if !regexp.MustCompile(`psql[^\n]*-v ON_ERROR_STOP=1`).MatchString(script) {
		t.Error("psql is not run with -v ON_ERROR_STOP=1: a failed statement would be ignored")
	}
	sql := initRolesSQL(t, script)

	roles := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?is)CREATE\s+ROLE\s+(\w+)([^;]*);`).FindAllStringSubmatch(sql, -1) {
		roles[strings.ToLower(m[1])] = strings.Fields(strings.ToUpper(m[2]))
	}
	wantAttrs := map[string][]string{
		"taskbridge_owner":   {"LOGIN"},
		"taskbridge_runtime": {"NOLOGIN"},
		"taskbridge_app":     {"LOGIN", "IN", "ROLE", "TASKBRIDGE_RUNTIME"},
	}
	for role, attrs := range wantAttrs {
		got, ok := roles[role]
		if !ok {
			t.Errorf("init-roles.sh does not create role %s", role)
			continue
		}
		for _, a := range attrs {
			if !slices.Contains(got, a) {
				t.Errorf("role %s lacks %s (has %v)", role, a, got)
			}
		}
	}

	// A positive privilege attribute anywhere (CREATE/ALTER ROLE ... SUPERUSER)
	// or a grant of a predefined or superuser role breaks least privilege.
	for _, word := range regexp.MustCompile(`[A-Za-z_]+`).FindAllString(sql, -1) {
		switch strings.ToUpper(word) {
		case "SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS":
			t.Errorf("init-roles.sh grants %s", word)
		}
	}
	if m := regexp.MustCompile(`(?i)GRANT\s+(pg_\w+|postgres)\b`).FindString(sql); m != "" {
		t.Errorf("init-roles.sh grants a powerful role: %s", m)
	}

	// Passwords are psql variables, never literals or shell expansions.
	for role, attrs := range roles {
		if !slices.Contains(attrs, "LOGIN") {
			continue
		}
		if !regexp.MustCompile(`(?is)CREATE\s+ROLE\s+` + role + `\b[^;]*PASSWORD\s+:'\w+'`).MatchString(sql) {
			t.Errorf("login role %s does not take its password from a :'variable'", role)
		}
	}
	if regexp.MustCompile(`(?i)PASSWORD\s+'`).MatchString(sql) {
		t.Error("init-roles.sh writes a literal password")
	}

	for _, want := range []string{
		`(?i)CREATE\s+DATABASE\s+taskbridge\s+OWNER\s+taskbridge_owner`,
		`(?i)REVOKE\s+(ALL|CONNECT)[^;]*ON\s+DATABASE\s+taskbridge\s+FROM\s+PUBLIC`,
		`(?i)GRANT\s+CONNECT\s+ON\s+DATABASE\s+taskbridge\s+TO\s+taskbridge_app`,
		`(?i)REVOKE\s+CONNECT[^;]*ON\s+DATABASE\s+postgres\b[^;]*FROM\s+PUBLIC`,
	} {
		if !regexp.MustCompile(want).MatchString(sql) {
			t.Errorf("init-roles.sh SQL lacks %s", want)
		}
	}
}

// TestInitRolesReadsThePasswordsComposeProvides ties the init script's
// inputs to what the dev stack's database entry point exports.
func TestInitRolesReadsThePasswordsComposeProvides(t *testing.T) {
	script := readRepoFile(t, "deploy/postgres/init-roles.sh")
	entry := readRepoFile(t, "dev/db-entrypoint.sh")
	reads := regexp.MustCompile(`\\getenv\s+\w+\s+(\w+)`).FindAllStringSubmatch(script, -1)
	if len(reads) == 0 {
		t.Fatal("init-roles.sh reads no password from the environment")
	}
	for _, m := range reads {
		if !regexp.MustCompile(`(?m)^\s*export\b.*\b` + m[1] + `\b`).MatchString(entry) {
			t.Errorf("init-roles.sh reads %s, which dev/db-entrypoint.sh does not export", m[1])
		}
	}
	db := service(t, mustLoadCompose(t, nil), "db")
	if got := []string(db.Entrypoint); !slices.Equal(got, []string{"bash", "/usr/local/bin/taskbridge-dev-entrypoint.sh"}) {
		t.Errorf("db entrypoint = %q, want the dev entry point", got)
	}
	if got := []string(db.Command); !slices.Equal(got, []string{"postgres"}) {
		t.Errorf("db command = %q, want [postgres] (an entrypoint override drops the image's CMD)", got)
	}
	var mounted bool
	for _, v := range db.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == "/usr/local/bin/taskbridge-dev-entrypoint.sh" {
			mounted = v.ReadOnly && filepath.Clean(v.Source) == filepath.Join(repoRoot(t), "dev", "db-entrypoint.sh")
		}
	}
	if !mounted {
		t.Error("db does not mount dev/db-entrypoint.sh read-only as its entry point")
	}
	if root, _ := envValue(db, "TASKBRIDGE_DEV_SECRETS_ROOT"); root != devSecretsRoot {
		t.Errorf("db TASKBRIDGE_DEV_SECRETS_ROOT = %q, want %s", root, devSecretsRoot)
	}
}
