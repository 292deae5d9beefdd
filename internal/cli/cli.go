// Package cli is the taskbridge command: it parses subcommands and wires
// the components together. main only calls Run, so every command is
// testable with its own arguments, environment and output.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/taskbridge/taskbridge/internal/config"
)

// Env is what a command sees of the outside world.
type Env struct {
	// Version is the version main was linked with; "" lets Go's build stamp
	// decide (internal/buildinfo).
	Version string
	Args    []string
	Getenv  func(string) string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// ErrUsage marks a command-line mistake; main exits 2 for it.
var ErrUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
	// check picks the configuration check run makes first for these
	// arguments; nil when the command reads no configuration of its own.
	check func(args []string) (configCheck, error)
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP server (the default)", runServe, one(serveConfig)},
		{"migrate", "migrate up | down N | version: manage the database schema (owner role)", runMigrate, one(migrateConfig)},
		{"healthcheck", "exit 0 when the local server answers /readyz (for container health checks)", runHealthcheck, one(healthcheckConfig)},
		{"keys", "keys generate [kid] | rotate: print a new key spec, or re-encrypt notes under the active key (owner role)", runKeys, keysConfig},
		{"audit", "audit seal | verify [--anchor SEQ:HASH]: seal pending audit events, or check the whole chain", runAudit, one(auditConfig)},
		{"doctor", "check a deployment from the outside as an MCP host would: doctor [--url URL] [--token TOKEN|-] [--submission]", runDoctor, nil},
		{"bench", "measure authenticated tool calls: throughput, latency, errors, RSS, raw-DB ratio (writes test users; not prod)", runBench, nil},
		{"config", "config docs [--write docs/configuration.md]: print the configuration reference (Markdown)", runConfig, nil},
		{"users", "users create --email X | list | export --email X | delete --email X [--yes]: manage accounts (password from terminal or stdin)", runUsers, usersConfig},
		{"plugin", "plugin package [--out FILE] [--version V]: write the ChatGPT and Codex plugin bundle (manifest, MCP configuration, skill, icons) for submission", runPlugin, one(pluginConfig)},
		{"retention", "retention run: delete what the retention periods say is due, now (also runs inside serve)", runRetention, one(operatorConfig())},
	}
}

// CommandNames lists the subcommands Run dispatches, in usage order. It is
// read from the same table as Run and the usage text, so the README's
// Commands table can be checked against it.
func CommandNames() []string {
	cmds := commands()
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return names
}

// Run executes the subcommand named by env.Args[0] (serve when empty).
func Run(ctx context.Context, env Env) error {
	args := env.Args
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(env.Stdout, usage())
		return nil
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		if c.check != nil {
			// Dev only: keys kept in TASKBRIDGE_DEV_SECRETS_DIR stand in
			// for unset ones (made on first use).
			getenv, err := config.WithDevSecrets(env.Getenv)
			if err != nil {
				return err
			}
			env.Getenv = getenv
		}
		return c.run(ctx, env, args)
	}
	return fmt.Errorf("%w: unknown command %q\n%s", ErrUsage, name, usage())
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: taskbridge <command> [arguments]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nConfiguration comes from the environment; see README.md.\n")
	return b.String()
}
