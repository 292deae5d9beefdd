package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/taskbridge/taskbridge/dev/doctor"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/progress"
)

// runDoctor checks a deployment from the outside, as an MCP host would.
func runDoctor(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	mcpURL := fs.String("url", "", "the MCP URL exactly as typed into the host (default: TASKBRIDGE_PUBLIC_URL + /mcp)")
	token := fs.String("token", "", "an access token for this server, to check the widget; \"-\" reads it from standard input (keeps it out of shell history)")
	submission := fs.Bool("submission", false, "also require what a ChatGPT and Codex plugin submission needs (the domain-verification token, the widget domain)")
	timeout := fs.Duration("timeout", doctor.DefaultTimeout, "time limit for each request")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: taskbridge doctor [--url URL] [--token TOKEN|-] [--submission] [--timeout 10s]", ErrUsage)
	}
	if *timeout <= 0 || *timeout > 2*time.Minute {
		return fmt.Errorf("%w: --timeout must be between 0 and 2m", ErrUsage)
	}
	if *mcpURL == "" {
		cfg, err := config.Load(env.Getenv, config.UsePublicURL)
		if err != nil {
			return fmt.Errorf("pass --url, or fix the configuration the default comes from: %w", err)
		}
		*mcpURL = cfg.MCPResourceURL()
	}
	if *token == "-" {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read the token from standard input: %w", err)
		}
		*token = strings.TrimSpace(line)
	}

	report, err := doctor.Run(ctx, doctor.Options{
		URL:        *mcpURL,
		Token:      *token,
		Timeout:    *timeout,
		Submission: *submission,
		Color:      progress.IsTerminal(env.Stdout),
	}, env.Stdout)
	if err != nil {
		return err
	}
	if report.Failed() {
		return fmt.Errorf("doctor: %d checks failed", report.Count(doctor.Fail))
	}
	return nil
}
