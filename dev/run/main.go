// Command taskbridge-dev is `make run`: the server in dev mode, on
// DATABASE_URL when it is set, otherwise on a private PostgreSQL cluster
// under .taskbridge-dev/ (see dev/devrun). It is a development tool:
// the image ships only cmd/taskbridge (the one product binary), which
// starts no program. It lives in dev/ with the rest of the dev tooling.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskbridge/taskbridge/dev/devrun"
	"github.com/taskbridge/taskbridge/internal/cli"
)

// dataDir is where the private database and the dev keys live, relative to
// the working directory (make runs from the repository root); .gitignore
// lists it.
const dataDir = ".taskbridge-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := devrun.Run(ctx, cli.Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, dataDir)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskbridge-dev:", err)
		os.Exit(1)
	}
}
