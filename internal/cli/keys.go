package cli

import (
	"context"
	"fmt"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

func runKeys(ctx context.Context, env Env, args []string) error {
	if len(args) == 1 && args[0] == "rotate" {
		return runKeysRotate(ctx, env)
	}
	if len(args) == 0 || args[0] != "generate" || len(args) > 2 {
		return fmt.Errorf("%w: taskbridge keys generate [kid] | rotate", ErrUsage)
	}
	id := "k1"
	if len(args) == 2 {
		id = args[1]
	}
	spec, err := keyring.Generate(id)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, spec)
	return nil
}
