package packaging_test

import (
	"encoding/base64"
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

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// composeSecrets are the variables docker-compose.yml must take from .env
// and may never default. TestComposeSecretListIsComplete keeps this list in
// step with the file.
func composeSecrets() []string {
	return []string{
		"POSTGRES_PASSWORD",
		"TASKBRIDGE_OWNER_DB_PASSWORD",
		"TASKBRIDGE_APP_DB_PASSWORD",
		"TASKBRIDGE_ENCRYPTION_KEYS",
		"TASKBRIDGE_AUDIT_KEY",
		"TASKBRIDGE_MCP_STATE_KEY",
	}
}

// secretName matches variable names that carry credentials.
func secretName(name string) bool {
	return regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|_KEYS?$|DATABASE_URL)`).MatchString(name)
}

// sentinel is the fake value the tests give a secret: recognisable wherever
// it ends up, and safe inside a URL's user information.
func sentinel(name string) string {
	return "sentinel-" + strings.ToLower(name)
}

// sentinelEnv is an environment with every secret set to its sentinel.
func sentinelEnv() map[string]string {
	env := map[string]string{}
	for _, name := range composeSecrets() {
		env[name] = sentinel(name)
	}
	return env
}

// loadCompose loads docker-compose.yml as `docker compose` would, with env as
// the only source of interpolated values (no .env file, no process env).
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	return loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping(env),
	})
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

func TestComposeHasTheThreeServices(t *testing.T) {
	p := mustLoadCompose(t, sentinelEnv())
	got := p.ServiceNames()
	sort.Strings(got)
	if want := []string{"app", "db", "migrate"}; !slices.Equal(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	if regexp.MustCompile(`(?m)^version:`).MatchString(readRepoFile(t, "docker-compose.yml")) {
		t.Error("docker-compose.yml has a top-level version key; the Compose spec dropped it")
	}
}

func TestComposeDatabaseIsHealthCheckedAndPersistent(t *testing.T) {
	p := mustLoadCompose(t, sentinelEnv())
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
	p := mustLoadCompose(t, sentinelEnv())
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
	p := mustLoadCompose(t, sentinelEnv())
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

// TestComposeRequiresEverySecret proves no secret has a default: without it,
// loading fails and names the variable.
func TestComposeRequiresEverySecret(t *testing.T) {
	if _, err := loadCompose(t, sentinelEnv()); err != nil {
		t.Fatalf("with every secret set, load failed: %v", err)
	}
	for _, name := range composeSecrets() {
		for _, tc := range []struct {
			how string
			set bool
		}{{"unset", false}, {"empty", true}} {
			env := sentinelEnv()
			delete(env, name)
			if tc.set {
				env[name] = ""
			}
			_, err := loadCompose(t, env)
			if err == nil {
				t.Errorf("%s %s: docker compose would start anyway (a default value?)", name, tc.how)
				continue
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%s %s: error does not name the variable: %v", name, tc.how, err)
			}
		}
	}
}

// TestComposeSecretListIsComplete checks every credential-like variable the
// file interpolates is in composeSecrets and is written ${VAR:?message}.
func TestComposeSecretListIsComplete(t *testing.T) {
	text := composeText(t)
	if m := regexp.MustCompile(`(^|[^$])\$[A-Za-z_]`).FindString(text); m != "" {
		t.Errorf("docker-compose.yml uses $VAR without braces (%q); write ${VAR:?message}", m)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}`).FindAllStringSubmatch(text, -1) {
		name, modifier := m[1], m[2]
		if !secretName(name) {
			continue
		}
		seen[name] = true
		if !strings.HasPrefix(modifier, ":?") || len(strings.TrimSpace(modifier[2:])) == 0 {
			t.Errorf("${%s%s}: a secret must be written ${%s:?message} (required, no default)", name, modifier, name)
		}
	}
	for _, name := range composeSecrets() {
		if !seen[name] {
			t.Errorf("%s is listed as a compose secret but docker-compose.yml never uses it", name)
		}
		delete(seen, name)
	}
	for name := range seen {
		t.Errorf("docker-compose.yml interpolates %s, which is not in composeSecrets", name)
	}
}

// TestComposeHoldsNoLiteralSecret loads the file with sentinel secrets: every
// credential a container receives must be one of them, so none is written
// into the file itself.
func TestComposeHoldsNoLiteralSecret(t *testing.T) {
	p := mustLoadCompose(t, sentinelEnv())
	sentinels := map[string]bool{}
	for _, name := range composeSecrets() {
		sentinels[sentinel(name)] = true
	}
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
				if pw, ok := u.User.Password(); ok && !sentinels[pw] {
					t.Errorf("%s: %s has a password written into the file", svcName, name)
				}
				continue
			}
			if secretName(name) && !sentinels[value] {
				t.Errorf("%s: %s is written into the file instead of coming from .env", svcName, name)
			}
		}
	}
}

// TestComposeGivesEachSecretOnlyToItsService: the server never sees the
// superuser or owner passwords, the migration job never sees the app's keys.
func TestComposeGivesEachSecretOnlyToItsService(t *testing.T) {
	p := mustLoadCompose(t, sentinelEnv())
	want := map[string][]string{
		"db":      {"POSTGRES_PASSWORD", "TASKBRIDGE_APP_DB_PASSWORD", "TASKBRIDGE_OWNER_DB_PASSWORD"},
		"migrate": {"TASKBRIDGE_OWNER_DB_PASSWORD"},
		"app":     {"TASKBRIDGE_APP_DB_PASSWORD", "TASKBRIDGE_AUDIT_KEY", "TASKBRIDGE_ENCRYPTION_KEYS", "TASKBRIDGE_MCP_STATE_KEY"},
	}
	for svcName, wantSecrets := range want {
		s := service(t, p, svcName)
		var got []string
		for _, name := range composeSecrets() {
			for _, v := range s.Environment {
				if v != nil && strings.Contains(*v, sentinel(name)) {
					got = append(got, name)
					break
				}
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, wantSecrets) {
			t.Errorf("%s receives secrets %v, want exactly %v", svcName, got, wantSecrets)
		}
	}

	for _, tc := range []struct{ svc, variable, role string }{
		{"app", "DATABASE_URL", "taskbridge_app"},
		{"migrate", "TASKBRIDGE_MIGRATE_DATABASE_URL", "taskbridge_owner"},
	} {
		raw, ok := envValue(service(t, p, tc.svc), tc.variable)
		if !ok {
			t.Errorf("%s does not set %s", tc.svc, tc.variable)
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			t.Errorf("%s %s is not a URL with a user", tc.svc, tc.variable)
			continue
		}
		if u.User.Username() != tc.role || u.Hostname() != "db" || u.Path != "/taskbridge" {
			t.Errorf("%s %s connects as %s to %s%s, want %s to db/taskbridge", tc.svc, tc.variable, u.User.Username(), u.Hostname(), u.Path, tc.role)
		}
	}
}

func TestComposeHardensTaskbridgeContainers(t *testing.T) {
	p := mustLoadCompose(t, sentinelEnv())
	for _, name := range []string{"app", "migrate"} {
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
	p := mustLoadCompose(t, sentinelEnv())
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
	app := service(t, mustLoadCompose(t, sentinelEnv()), "app")
	for name, want := range map[string]string{
		"TASKBRIDGE_ENV":        "dev",
		"TASKBRIDGE_ADDR":       "0.0.0.0:8080",
		"TASKBRIDGE_PUBLIC_URL": "http://localhost:8080",
	} {
		if got, _ := envValue(app, name); got != want {
			t.Errorf("app %s = %q, want %q", name, got, want)
		}
	}

	env := sentinelEnv()
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
// compose accepts, every variable compose reads is documented there, and no
// value is usable as a real secret (nor looks like one to a secret scanner).
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

	for _, name := range composeSecrets() {
		v := example[name]
		if !strings.Contains(v, "change-me") {
			t.Errorf(".env.example %s = %q: want an obvious change-me placeholder", name, v)
		}
	}
	looksLikeKey := regexp.MustCompile(`^[A-Za-z0-9+/]{40,}={0,2}$|^[0-9a-fA-F]{32,}$`)
	for name, v := range example {
		_, value, _ := strings.Cut(v, ":") // kid:key specs
		if looksLikeKey.MatchString(v) || looksLikeKey.MatchString(value) {
			t.Errorf(".env.example %s looks like a real key; use a change-me placeholder", name)
		}
	}

	if _, err := keyring.Parse(example["TASKBRIDGE_ENCRYPTION_KEYS"]); err == nil {
		t.Error(".env.example TASKBRIDGE_ENCRYPTION_KEYS is a working key; a copied example must not run")
	}
	if raw, err := base64.StdEncoding.DecodeString(example["TASKBRIDGE_AUDIT_KEY"]); err == nil && len(raw) == 32 {
		t.Error(".env.example TASKBRIDGE_AUDIT_KEY is a working 32-byte key")
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

// TestInitRolesReadsThePasswordsComposeProvides ties the script's inputs to
// the db service's environment.
func TestInitRolesReadsThePasswordsComposeProvides(t *testing.T) {
	script := readRepoFile(t, "deploy/postgres/init-roles.sh")
	db := service(t, mustLoadCompose(t, sentinelEnv()), "db")
	reads := regexp.MustCompile(`\\getenv\s+\w+\s+(\w+)`).FindAllStringSubmatch(script, -1)
	if len(reads) == 0 {
		t.Fatal("init-roles.sh reads no password from the environment")
	}
	for _, m := range reads {
		if _, ok := envValue(db, m[1]); !ok {
			t.Errorf("init-roles.sh reads %s, which the db service does not receive", m[1])
		}
	}
}
