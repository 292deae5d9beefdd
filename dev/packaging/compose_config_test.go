package packaging_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/config"
)

// The tests in this file render each compose file exactly as `docker
// compose` does from its documentation (the env example filled in as its
// comments say, every profile on) and hold what each service would receive
// against the binary itself: the configuration check its command runs at
// start-up (cli.CheckConfig), not a list of variables kept here.

// composeStack is one compose file and how its documentation runs it.
type composeStack struct {
	file    string // relative to the repository root
	example string // the env file the documentation copies and fills in
	// readme documents `dc run --rm SERVICE ARGS` commands; each one is
	// checked as that service running those arguments.
	readme string
}

func composeStacks() []composeStack {
	return []composeStack{
		{file: "docker-compose.yml", example: ".env.example"},
		prodStack(),
	}
}

func prodStack() composeStack {
	return composeStack{file: "deploy/docker-compose.prod.yml", example: "deploy/env.prod.example", readme: "deploy/README.md"}
}

// generateCommand matches the commands the env examples name on their
// "Generate:" lines: openssl rand, alone or inside echo "prefix$(...)".
var generateCommand = regexp.MustCompile(`\$?\(?openssl rand -(hex|base64) (\d+)\)?`)

// generated runs a documented generate command the way the shell would,
// without a shell: each openssl rand becomes fresh random bytes.
func generated(t *testing.T, command string) string {
	t.Helper()
	command = strings.TrimSpace(command)
	if inner, ok := strings.CutPrefix(command, "echo "); ok {
		command = strings.Trim(inner, `"`)
	} else if !generateCommand.MatchString(command) || generateCommand.FindString(command) != command {
		t.Fatalf("generate command %q: want openssl rand -hex|-base64 N, alone or inside echo \"...\"", command)
	}
	return generateCommand.ReplaceAllStringFunc(command, func(call string) string {
		m := generateCommand.FindStringSubmatch(call)
		n, _ := strconv.Atoi(m[2])
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		if m[1] == "hex" {
			return hex.EncodeToString(b)
		}
		return base64.StdEncoding.EncodeToString(b)
	})
}

// filledEnvFile writes the env example with every change-me placeholder
// replaced by the output of the "Generate:" command in the comment above it,
// as the example tells its reader to; a placeholder without one fails.
func filledEnvFile(t *testing.T, example string) string {
	t.Helper()
	var out []string
	generate := ""
	for _, line := range strings.Split(readRepoFile(t, example), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			generate = ""
		case strings.HasPrefix(trimmed, "#"):
			if _, cmd, ok := strings.Cut(trimmed, "Generate:"); ok {
				generate = cmd
			}
		default:
			name, value, ok := strings.Cut(trimmed, "=")
			if ok && strings.Contains(value, "change-me") {
				if generate == "" {
					t.Fatalf("%s: %s is a placeholder with no Generate: line above it", example, name)
				}
				line = name + "=" + generated(t, generate)
			}
			generate = ""
		}
		out = append(out, line)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(example)+".filled")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// renderStack loads the compose file the way `docker compose --env-file
// ENV -f FILE --profile '*'` does: interpolation from the env file only (no
// process environment), anchors and merge keys resolved, every profile on.
func renderStack(t *testing.T, st composeStack, envFile string) *types.Project {
	t.Helper()
	opts, err := composecli.NewProjectOptions([]string{filepath.Join(repoRoot(t), st.file)},
		composecli.WithEnvFiles(envFile),
		composecli.WithDotEnv,
		composecli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("%s with %s filled in as documented: %v", st.file, st.example, err)
	}
	return p
}

// imageCommand is what our image runs when a service names no command: the
// Dockerfile's final ENTRYPOINT must be the binary, its CMD the arguments.
func imageCommand(t *testing.T) []string {
	t.Helper()
	stages := loadDockerfile(t)
	var entrypoint, cmd []string
	for _, in := range stages[len(stages)-1].body {
		switch in.keyword {
		case "ENTRYPOINT":
			entrypoint, _ = execForm(in.args)
		case "CMD":
			cmd, _ = execForm(in.args)
		}
	}
	if !slices.Equal(entrypoint, []string{"/taskbridge"}) {
		t.Fatalf("image ENTRYPOINT %q, want [/taskbridge]", entrypoint)
	}
	return cmd
}

// ourServices are the services that run the image built from this
// repository: those with build:, and those naming an image one of them builds.
func ourServices(p *types.Project) []string {
	built := map[string]bool{}
	for _, s := range p.Services {
		if s.Build != nil {
			built[s.Image] = true
		}
	}
	var names []string
	for name, s := range p.Services {
		if s.Build != nil || built[s.Image] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// documentedRuns reads `dc run --rm [-T] SERVICE ARGS` lines from a README
// code block: service -> each argument list documented for it (empty: the
// service's own command). Redirections and comments are dropped.
func documentedRuns(t *testing.T, readme string) map[string][][]string {
	t.Helper()
	runs := map[string][][]string{}
	if readme == "" {
		return runs
	}
	line := regexp.MustCompile(`(?m)^\s*dc run --rm((?: -T)?) ([a-z0-9_-]+)([^>#\n]*)`)
	for _, m := range line.FindAllStringSubmatch(readRepoFile(t, readme), -1) {
		runs[m[2]] = append(runs[m[2]], strings.Fields(m[3]))
	}
	return runs
}

// serviceCommands is every argument list a service runs: its command (or
// the image's) and each documented `run` of it.
func serviceCommands(s types.ServiceConfig, image []string, runs [][]string) [][]string {
	own := []string(s.Command)
	if len(own) == 0 {
		own = image
	}
	all := [][]string{own}
	for _, args := range runs {
		if len(args) == 0 {
			args = own
		}
		if !slices.ContainsFunc(all, func(a []string) bool { return slices.Equal(a, args) }) {
			all = append(all, args)
		}
	}
	return all
}

// serviceEnv is the environment the container gets: environment: entries
// with a value (a bare NAME passes the shell's, which the docs do not set).
func serviceEnv(s types.ServiceConfig, without string) func(string) string {
	return func(name string) string {
		if v := s.Environment[name]; v != nil && name != without {
			return *v
		}
		return ""
	}
}

// TestComposeServicesPassTheBinarysConfigurationCheck: every service that
// runs our image, in every compose file, started as documented, passes the
// configuration check its own command runs at start-up. A service missing
// a variable its command requires fails here with that variable's name,
// instead of at `up` with "didn't complete successfully: exit 1".
func TestComposeServicesPassTheBinarysConfigurationCheck(t *testing.T) {
	image := imageCommand(t)
	for _, st := range composeStacks() {
		p := renderStack(t, st, filledEnvFile(t, st.example))
		runs := documentedRuns(t, st.readme)
		for name := range runs {
			if _, ok := p.Services[name]; !ok {
				t.Errorf("%s documents `dc run --rm %s`, but %s has no such service", st.readme, name, st.file)
			}
		}
		ours := ourServices(p)
		if len(ours) == 0 {
			t.Errorf("%s: no service runs the image built from this repository", st.file)
		}
		for _, name := range ours {
			s := p.Services[name]
			if len(s.Entrypoint) != 0 {
				t.Errorf("%s: service %s overrides the entrypoint %q; the check assumes /taskbridge", st.file, name, s.Entrypoint)
				continue
			}
			for _, args := range serviceCommands(s, image, runs[name]) {
				if err := cli.CheckConfig(args, serviceEnv(s, "")); err != nil {
					t.Errorf("%s: service %s (taskbridge %s) would not start:\n%v", st.file, name, strings.Join(args, " "), err)
				}
			}
		}
	}
}

// TestComposeProdServicesGetOnlyTheSecretsTheirCommandsUse (P2): in
// production every secret a taskbridge service receives is one its
// commands refuse to start without. A secret none of them needs is one a
// compromised job could leak for nothing.
func TestComposeProdServicesGetOnlyTheSecretsTheirCommandsUse(t *testing.T) {
	image := imageCommand(t)
	st := prodStack()
	p := renderStack(t, st, filledEnvFile(t, st.example))
	runs := documentedRuns(t, st.readme)
	for _, name := range ourServices(p) {
		s := p.Services[name]
		if v := s.Environment["TASKBRIDGE_ENV"]; v == nil || *v != "prod" {
			t.Errorf("%s: service %s does not set TASKBRIDGE_ENV=prod", st.file, name)
			continue
		}
		commands := serviceCommands(s, image, runs[name])
		for _, v := range config.Vars() {
			if _, given := s.Environment[v.Name]; !given || !v.Secret {
				continue
			}
			needed := false
			for _, args := range commands {
				needed = needed || cli.CheckConfig(args, serviceEnv(s, v.Name)) != nil
			}
			if !needed {
				t.Errorf("%s: service %s receives %s, which none of its commands (%q) uses", st.file, name, v.Name, commands)
			}
		}
	}
}

// TestComposeBuildsEachImageOnce: one service per image has build:, the
// others name the same image. Compose builds every service that has build:
// (docker/compose pkg/compose/build.go) and does not fail on the pull of an
// image another service builds (pull.go, isServiceImageToBuild), so each
// extra build: is one more build of the same image on every `up --build`.
func TestComposeBuildsEachImageOnce(t *testing.T) {
	for _, st := range composeStacks() {
		p := renderStack(t, st, filledEnvFile(t, st.example))
		builders := map[string][]string{}
		for name, s := range p.Services {
			if s.Build == nil {
				continue
			}
			if s.Image == "" {
				t.Errorf("%s: service %s builds an image it does not name; the other services cannot share it", st.file, name)
			}
			builders[s.Image] = append(builders[s.Image], name)
		}
		if len(builders) == 0 {
			t.Errorf("%s builds no image", st.file)
		}
		for img, names := range builders {
			if slices.Sort(names); len(names) != 1 {
				t.Errorf("%s: image %s is built by %d services (%s); give build: to one and image: %s to the others", st.file, img, len(names), strings.Join(names, ", "), img)
			}
		}
	}
}

// pinned reports whether an image reference names one release: a digest,
// or a tag that is an exact version, optionally -variant. An exact version
// is major.minor.patch; PostgreSQL numbers its releases major.minor.
func pinned(ref string) bool {
	if regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(ref) {
		return true
	}
	repo, tag, ok := strings.Cut(ref, ":")
	if !ok {
		return false
	}
	version := `\d+\.\d+\.\d+`
	if strings.TrimPrefix(repo, "docker.io/library/") == "postgres" {
		version = `\d+\.\d+`
	}
	return regexp.MustCompile(`^v?` + version + `(-[A-Za-z0-9.]+)?$`).MatchString(tag)
}

// TestImagesArePinned: the Dockerfile and the production compose file
// promise that nothing unpinned is fetched: every base and service image is
// an exact version or a digest, and no `# syntax=` directive makes BuildKit
// fetch a frontend image. Exact version tags are accepted because digests
// cannot be checked without a registry; deploy/README.md says how to pin by
// digest.
func TestImagesArePinned(t *testing.T) {
	text := readRepoFile(t, "Dockerfile")
	for i, line := range strings.Split(text, "\n") {
		if regexp.MustCompile(`(?i)^\s*#\s*syntax\s*=`).MatchString(line) {
			t.Errorf("Dockerfile:%d: %q makes BuildKit fetch a frontend image on every build", i+1, strings.TrimSpace(line))
		}
	}
	stages := map[string]bool{}
	for _, st := range loadDockerfile(t) {
		if st.image != "scratch" && !stages[st.image] && !pinned(st.image) {
			t.Errorf("Dockerfile: FROM %s is not pinned to an exact version or digest", st.image)
		}
		stages[st.name] = true
	}
	st := prodStack()
	p := renderStack(t, st, filledEnvFile(t, st.example))
	ours := ourServices(p)
	for name, s := range p.Services {
		if !slices.Contains(ours, name) && !pinned(s.Image) {
			t.Errorf("%s: service %s image %s is not pinned to an exact version or digest", st.file, name, s.Image)
		}
	}
}
