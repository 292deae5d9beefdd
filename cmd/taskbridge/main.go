// Command taskbridge is the whole application: the MCP server, its OAuth
// authorization server and the operator commands. See internal/cli.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskbridge/taskbridge/internal/cli"
)

// version is the build's version when the linker sets it
// (-ldflags "-X main.version=v1.2.3"; the Dockerfile does). Empty, Go's own
// build stamp decides (internal/buildinfo).
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.Env{Version: version, Args: os.Args[1:], Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskbridge:", err)
		if errors.Is(err, cli.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
