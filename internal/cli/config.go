package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/taskbridge/taskbridge/internal/config"
)

// runConfig prints the configuration reference, or rewrites it in place
// between the markers of a Markdown file (`make docs` does that for docs/configuration.md).
func runConfig(_ context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "docs" {
		return fmt.Errorf("%w: taskbridge config docs [--write docs/configuration.md]", ErrUsage)
	}
	fs := flag.NewFlagSet("config docs", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	write := fs.String("write", "", "replace the table between "+config.ReferenceBegin+" and "+config.ReferenceEnd+" in this file")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: config docs takes no arguments besides --write", ErrUsage)
	}
	if *write == "" {
		fmt.Fprint(env.Stdout, config.Reference())
		return nil
	}
	doc, err := os.ReadFile(*write)
	if err != nil {
		return err
	}
	out, err := config.SpliceReference(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", *write, err)
	}
	info, err := os.Stat(*write)
	if err != nil {
		return err
	}
	return os.WriteFile(*write, out, info.Mode().Perm())
}
