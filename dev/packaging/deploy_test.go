package packaging_test

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/taskbridge/taskbridge/internal/config"
)

// The production example: deploy/docker-compose.prod.yml with Caddy in front
// of two replicas (D6 TLS at the proxy, O4 backups in deploy/README.md).

// prodSecrets must come from .env.prod and may never default.
func prodSecrets() []string {
	return []string{
		"POSTGRES_PASSWORD",
		"TASKBRIDGE_OWNER_DB_PASSWORD",
		"TASKBRIDGE_APP_DB_PASSWORD",
		"TASKBRIDGE_ENCRYPTION_KEYS",
		"TASKBRIDGE_AUDIT_KEY",
		"TASKBRIDGE_MCP_STATE_KEY",
	}
}

const prodDomain = "tasks.example.test"

func prodEnv() map[string]string {
	env := map[string]string{"TASKBRIDGE_DOMAIN": prodDomain, "ACME_EMAIL": "ops@example.test"}
	for _, name := range prodSecrets() {
		env[name] = sentinel(name)
	}
	return env
}

func loadProd(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy")
	return loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.prod.yml")}},
		Environment: types.Mapping(env),
	})
}

func mustLoadProd(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadProd(t, prodEnv())
	if err != nil {
		t.Fatalf("load deploy/docker-compose.prod.yml: %v", err)
	}
	return p
}

func replicas() []string { return []string{"app1", "app2"} }

func TestDeployProdServices(t *testing.T) {
	p := mustLoadProd(t)
	got := p.ServiceNames()
	sort.Strings(got)
	if want := []string{"app1", "app2", "caddy", "db", "migrate"}; !slices.Equal(got, want) {
		t.Fatalf("services = %v, want %v (Caddy, two replicas, one PostgreSQL, the migration job)", got, want)
	}
	a1, a2 := service(t, p, "app1"), service(t, p, "app2")
	if a1.Image != a2.Image || !slices.Equal(a1.Command, a2.Command) || !slices.Equal([]string(a1.Command), []string{"serve"}) {
		t.Errorf("replicas differ or do not serve: %s %q / %s %q", a1.Image, a1.Command, a2.Image, a2.Command)
	}
	for name, v := range a1.Environment {
		if name == "TASKBRIDGE_METRICS_ADDR" {
			continue
		}
		if w, ok := a2.Environment[name]; !ok || (v == nil) != (w == nil) || (v != nil && *v != *w) {
			t.Errorf("replicas disagree on %s", name)
		}
	}
	for _, name := range replicas() {
		if got, _ := envValue(service(t, p, name), "TASKBRIDGE_ENV"); got != "prod" {
			t.Errorf("%s TASKBRIDGE_ENV = %q, want prod", name, got)
		}
	}
}

// TestDeployProdOnlyCaddyPublishes: 80 and 443 on Caddy, nothing else, and
// the metrics port nowhere.
func TestDeployProdOnlyCaddyPublishes(t *testing.T) {
	p := mustLoadProd(t)
	for name, s := range p.Services {
		if name != "caddy" && (len(s.Ports) != 0 || len(s.Expose) != 0) {
			t.Errorf("%s publishes %v / exposes %v; only caddy may", name, s.Ports, s.Expose)
		}
	}
	var targets []uint32
	for _, port := range service(t, p, "caddy").Ports {
		targets = append(targets, port.Target)
		if port.Target != 80 && port.Target != 443 {
			t.Errorf("caddy publishes %d; only 80 and 443", port.Target)
		}
		if port.Published != strconv.Itoa(int(port.Target)) {
			t.Errorf("caddy maps %s->%d; publish 80 and 443 as themselves", port.Published, port.Target)
		}
	}
	if !slices.Contains(targets, 443) || !slices.Contains(targets, 80) {
		t.Errorf("caddy publishes %v, want 80 (ACME, redirect) and 443", targets)
	}
}

// TestDeployProdMetricsStayPrivate: each replica binds metrics to its own
// address on an internal network Caddy is not on.
func TestDeployProdMetricsStayPrivate(t *testing.T) {
	p := mustLoadProd(t)
	caddy := service(t, p, "caddy")
	for _, name := range replicas() {
		s := service(t, p, name)
		addr, ok := envValue(s, "TASKBRIDGE_METRICS_ADDR")
		if !ok {
			t.Errorf("%s does not set TASKBRIDGE_METRICS_ADDR", name)
			continue
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s TASKBRIDGE_METRICS_ADDR %q: %v", name, addr, err)
			continue
		}
		var network string
		for nw, cfg := range s.Networks {
			if cfg != nil && cfg.Ipv4Address == host {
				network = nw
			}
		}
		if network == "" {
			t.Errorf("%s metrics listen on %s, which is not its fixed address on any network (0.0.0.0 would put them on the proxy network)", name, host)
			continue
		}
		if !p.Networks[network].Internal {
			t.Errorf("%s metrics network %s is not internal", name, network)
		}
		if _, on := caddy.Networks[network]; on {
			t.Errorf("caddy is on %s, the metrics network", network)
		}
		for svc, other := range p.Services {
			for _, pc := range other.Ports {
				if strconv.Itoa(int(pc.Target)) == port || pc.Published == port {
					t.Errorf("%s publishes the metrics port %s", svc, port)
				}
			}
		}
	}
	if strings.Contains(readRepoFile(t, "deploy/Caddyfile"), ":9090") {
		t.Error("the Caddyfile proxies to the metrics port")
	}
}

// TestDeployProdTrustsOnlyTheProxyNetwork: X-Forwarded-For is believed
// from Caddy's network only, and only Caddy and the replicas are on it.
func TestDeployProdTrustsOnlyTheProxyNetwork(t *testing.T) {
	p := mustLoadProd(t)
	proxyNet, ok := p.Networks["proxy"]
	if !ok || !proxyNet.Internal || proxyNet.Ipam.Config == nil || len(proxyNet.Ipam.Config) != 1 {
		t.Fatal("no internal proxy network with one fixed subnet")
	}
	subnet := netip.MustParsePrefix(proxyNet.Ipam.Config[0].Subnet)
	for _, name := range replicas() {
		got, _ := envValue(service(t, p, name), "TASKBRIDGE_TRUSTED_PROXIES")
		if got != subnet.String() {
			t.Errorf("%s TASKBRIDGE_TRUSTED_PROXIES = %q, want the proxy network %s", name, got, subnet)
		}
	}
	caddyIP := service(t, p, "caddy").Networks["proxy"]
	if caddyIP == nil || !subnet.Contains(netip.MustParseAddr(caddyIP.Ipv4Address)) {
		t.Error("caddy has no fixed address inside the proxy network")
	}
	for name, s := range p.Services {
		_, on := s.Networks["proxy"]
		if want := name == "caddy" || slices.Contains(replicas(), name); on != want {
			t.Errorf("%s on the proxy network = %v, want %v", name, on, want)
		}
	}
}

func TestDeployProdStartsInOrder(t *testing.T) {
	p := mustLoadProd(t)
	want := map[string]map[string]string{
		"migrate": {"db": types.ServiceConditionHealthy},
		"app1":    {"db": types.ServiceConditionHealthy, "migrate": types.ServiceConditionCompletedSuccessfully},
		"app2":    {"db": types.ServiceConditionHealthy, "migrate": types.ServiceConditionCompletedSuccessfully},
		"caddy":   {"app1": types.ServiceConditionHealthy, "app2": types.ServiceConditionHealthy},
	}
	for svc, deps := range want {
		got := p.Services[svc].DependsOn
		for dep, cond := range deps {
			if d, ok := got[dep]; !ok || d.Condition != cond {
				t.Errorf("%s depends_on %s: condition %q, want %q", svc, dep, d.Condition, cond)
			}
		}
	}
	migrate := service(t, p, "migrate")
	if !slices.Equal([]string(migrate.Command), []string{"migrate", "up"}) || migrate.Restart != types.RestartPolicyNo {
		t.Errorf("migrate = %q restart %q, want [migrate up] restart no", migrate.Command, migrate.Restart)
	}
}

func TestDeployProdRequiresEverySecret(t *testing.T) {
	for _, name := range append(prodSecrets(), "TASKBRIDGE_DOMAIN", "ACME_EMAIL") {
		env := prodEnv()
		delete(env, name)
		_, err := loadProd(t, env)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: err = %v, want a refusal naming it", name, err)
		}
	}
	text := readRepoFile(t, "deploy/docker-compose.prod.yml")
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}`).FindAllStringSubmatch(text, -1) {
		if secretName(m[1]) && !strings.HasPrefix(m[2], ":?") {
			t.Errorf("${%s%s}: a secret must be required (${%s:?message})", m[1], m[2], m[1])
		}
	}
}

// TestDeployProdPublicURLIsTheServedDomain: the issuer and resource URL
// derive from the domain Caddy serves, so they cannot drift apart.
func TestDeployProdPublicURLIsTheServedDomain(t *testing.T) {
	p := mustLoadProd(t)
	for _, name := range replicas() {
		if got, _ := envValue(service(t, p, name), "TASKBRIDGE_PUBLIC_URL"); got != "https://"+prodDomain {
			t.Errorf("%s TASKBRIDGE_PUBLIC_URL = %q, want https://%s", name, got, prodDomain)
		}
	}
	if got, _ := envValue(service(t, p, "caddy"), "TASKBRIDGE_DOMAIN"); got != prodDomain {
		t.Errorf("caddy TASKBRIDGE_DOMAIN = %q", got)
	}
	if !regexp.MustCompile(`(?m)^\{\$TASKBRIDGE_DOMAIN\} \{`).MatchString(readRepoFile(t, "deploy/Caddyfile")) {
		t.Error("the Caddyfile does not serve {$TASKBRIDGE_DOMAIN}")
	}
}

func TestDeployProdGivesSecretsOnlyWhereNeeded(t *testing.T) {
	p := mustLoadProd(t)
	for name, v := range service(t, p, "caddy").Environment {
		for _, secret := range prodSecrets() {
			if v != nil && strings.Contains(*v, sentinel(secret)) {
				t.Errorf("caddy receives %s via %s", secret, name)
			}
		}
	}
	for _, svc := range append(replicas(), "migrate") {
		for _, v := range service(t, p, svc).Environment {
			if v != nil && strings.Contains(*v, sentinel("POSTGRES_PASSWORD")) {
				t.Errorf("%s receives the superuser password", svc)
			}
		}
	}
	for _, svc := range replicas() {
		for _, v := range service(t, p, svc).Environment {
			if v != nil && strings.Contains(*v, sentinel("TASKBRIDGE_OWNER_DB_PASSWORD")) {
				t.Errorf("%s receives the owner (migration) password", svc)
			}
		}
	}
}

func TestDeployProdHardening(t *testing.T) {
	p := mustLoadProd(t)
	for _, name := range append(replicas(), "migrate") {
		s := service(t, p, name)
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || len(s.CapAdd) != 0 || s.Privileged {
			t.Errorf("%s: read_only=%v cap_drop=%v cap_add=%v privileged=%v", name, s.ReadOnly, s.CapDrop, s.CapAdd, s.Privileged)
		}
	}
	caddy := service(t, p, "caddy")
	if !slices.Contains(caddy.CapDrop, "ALL") || !slices.Equal(caddy.CapAdd, []string{"NET_BIND_SERVICE"}) {
		t.Errorf("caddy: cap_drop=%v cap_add=%v, want ALL / NET_BIND_SERVICE only", caddy.CapDrop, caddy.CapAdd)
	}
	for name, s := range p.Services {
		if !slices.ContainsFunc(s.SecurityOpt, func(o string) bool { return strings.HasPrefix(o, "no-new-privileges") }) {
			t.Errorf("%s lacks no-new-privileges", name)
		}
	}
	db := service(t, p, "db")
	for name := range db.Networks {
		if !p.Networks[name].Internal {
			t.Errorf("db joins non-internal network %s", name)
		}
	}
}

func TestDeployProdEnvExample(t *testing.T) {
	example, err := dotenv.Parse(strings.NewReader(readRepoFile(t, "deploy/env.prod.example")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadProd(t, example); err != nil {
		t.Errorf("deploy/docker-compose.prod.yml does not load with env.prod.example: %v", err)
	}
	for _, name := range prodSecrets() {
		if !strings.Contains(example[name], "change-me") {
			t.Errorf("env.prod.example %s = %q: want a change-me placeholder", name, example[name])
		}
	}
}

// caddyfileText is the Caddyfile without comments, each line trimmed.
func caddyfileText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(readRepoFile(t, "deploy/Caddyfile"), "\n") {
		if line, _, _ = strings.Cut(line, "#"); strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimSpace(line) + "\n")
		}
	}
	return b.String()
}

func TestCaddyfileTerminatesTLSWithHSTS(t *testing.T) {
	text := caddyfileText(t)
	m := regexp.MustCompile(`Strict-Transport-Security "max-age=(\d+)[^"]*"`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("the Caddyfile sets no Strict-Transport-Security header")
	}
	if age, _ := strconv.Atoi(m[1]); age < 31536000 {
		t.Errorf("HSTS max-age %d is under a year", age)
	}
	for _, bad := range []string{"auto_https off", "tls internal", "http://", "insecure_skip_verify", "trusted_proxies"} {
		if strings.Contains(text, bad) {
			t.Errorf("the Caddyfile contains %q", bad)
		}
	}
}

func TestCaddyfileProxiesBothReplicasWithHealthChecks(t *testing.T) {
	text := caddyfileText(t)
	rp := regexp.MustCompile(`(?m)^reverse_proxy (.+) \{$`).FindStringSubmatch(text)
	if rp == nil {
		t.Fatal("no reverse_proxy block")
	}
	if upstreams := strings.Fields(rp[1]); !slices.Equal(upstreams, []string{"app1:8080", "app2:8080"}) {
		t.Errorf("upstreams = %v, want app1:8080 app2:8080", upstreams)
	}
	for _, want := range []string{"health_uri /readyz", "health_interval ", "fail_duration ", "max_size "} {
		if !strings.Contains(text, want) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
}

// TestCaddyfileAdapts runs Caddy's own parser on the Caddyfile. Caddy is
// pinned as a tool in tools/go.mod, at the version the prod compose's image
// tag names, so the test never depends on what the machine has installed.
func TestCaddyfileAdapts(t *testing.T) {
	root := repoRoot(t)
	toolsMod, err := os.ReadFile(filepath.Join(root, "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`(?m)^\s*github\.com/caddyserver/caddy/v2 v(\d+\.\d+\.\d+)\s`).FindSubmatch(toolsMod)
	if pinned == nil {
		t.Fatal("tools/go.mod does not pin github.com/caddyserver/caddy/v2")
	}
	// The image tag may name the release (2.10.2) or its minor line (2.10).
	image := service(t, mustLoadProd(t), "caddy").Image
	tag, _, _ := strings.Cut(strings.TrimPrefix(image, "caddy:"), "@")
	if version := string(pinned[1]); !strings.HasPrefix(image, "caddy:") || (tag != version && !strings.HasPrefix(version, tag+".")) {
		t.Errorf("the prod compose runs %s; tools/go.mod pins caddy %s: keep them on one version", image, version)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH, so the pinned caddy cannot run: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "tool", "-modfile=tools/go.mod", "caddy", "adapt", "--config", filepath.Join(root, "deploy", "Caddyfile"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TASKBRIDGE_DOMAIN="+prodDomain, "ACME_EMAIL=ops@example.test", "XDG_CONFIG_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, out)
	}
}

// TestDeployProdRollingRestartIsGraceful: Docker waits longer than the
// server's own shutdown timeout before killing a replica.
func TestDeployProdRollingRestartIsGraceful(t *testing.T) {
	p := mustLoadProd(t)
	var shutdownTimeout time.Duration
	for _, v := range config.Vars() {
		if v.Name == "TASKBRIDGE_SHUTDOWN_TIMEOUT" {
			shutdownTimeout, _ = time.ParseDuration(v.Default)
		}
	}
	if shutdownTimeout <= 0 {
		t.Fatal("config declares no TASKBRIDGE_SHUTDOWN_TIMEOUT default")
	}
	for _, name := range replicas() {
		s := service(t, p, name)
		if _, set := envValue(s, "TASKBRIDGE_SHUTDOWN_TIMEOUT"); set {
			t.Errorf("%s overrides TASKBRIDGE_SHUTDOWN_TIMEOUT; compare stop_grace_period with that value instead", name)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= shutdownTimeout {
			t.Errorf("%s stop_grace_period = %v, want more than the server's shutdown timeout %s", name, s.StopGracePeriod, shutdownTimeout)
		}
	}
}
