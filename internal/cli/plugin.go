package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/plugin"
)

// pluginConfig: the bundle names the public URL (https, as submission
// requires a production URL) and the listing's links.
func pluginConfig(getenv config.Getenv) (*config.Config, error) {
	cfg, err := config.Load(getenv, config.UsePublicURL, config.UseListing)
	if err != nil {
		return nil, err
	}
	if !cfg.HTTPS() {
		return nil, errors.New("TASKBRIDGE_PUBLIC_URL: plugin submission requires the public https URL hosts reach (a local or http URL is refused by review)")
	}
	return cfg, nil
}

// runPlugin writes the plugin bundle a ChatGPT and Codex submission
// uploads. It never overwrites a file.
func runPlugin(_ context.Context, env Env, args []string) error {
	const usage = "taskbridge plugin package [--out taskbridge-plugin.zip] [--version 1.0.0]"
	if len(args) == 0 || args[0] != "package" {
		return fmt.Errorf("%w: %s", ErrUsage, usage)
	}
	fs := flag.NewFlagSet("plugin package", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "taskbridge-plugin.zip", "the ZIP file to write (must not exist yet)")
	version := fs.String("version", "1.0.0", "the plugin version shown in the listing")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s", ErrUsage, usage)
	}
	cfg, err := pluginConfig(env.Getenv)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("plugin package: %w (choose another --out, or remove the old bundle)", err)
	}
	werr := plugin.Write(f, plugin.Listing{
		MCPURL:     cfg.MCPResourceURL(),
		WebsiteURL: cfg.PublicURL.String(),
		PrivacyURL: cfg.PublicURL.String() + "/privacy",
		TermsURL:   cfg.Plugin.TermsURL,
		SupportURL: cfg.Plugin.SupportURL,
		Version:    *version,
	})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(*out) // never leave half a bundle behind
		return fmt.Errorf("plugin package: %w", werr)
	}
	fmt.Fprintf(env.Stdout, "wrote %s for %s: upload it on the plugin submission page\n", *out, cfg.MCPResourceURL())
	return nil
}
