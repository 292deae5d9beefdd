// Package plugin writes the bundle a ChatGPT and Codex plugin submission
// expects (platform reference §4.3): a root plugin.json whose OpenAI
// settings sit under extensions["com.openai"], an mcp.json naming this
// deployment's MCP URL, a skill telling the model how to use the tools,
// and the listing's icons, all in one ZIP. Everything in it comes from the
// deployment's configuration; nothing is fetched.
package plugin

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// Name is the plugin's machine name: the manifest's name and mcp.json's
// server key.
const Name = "taskbridge"

// Listing is what the bundle says about one deployment.
type Listing struct {
	// MCPURL is the public https MCP endpoint (TASKBRIDGE_PUBLIC_URL + /mcp).
	MCPURL string
	// WebsiteURL, PrivacyURL, TermsURL and SupportURL are the listing's
	// links; each must be https.
	WebsiteURL, PrivacyURL, TermsURL, SupportURL string
	// Version is the plugin version (semantic), e.g. "1.0.0".
	Version string
}

// check refuses a listing the submission would refuse: review requires a
// public https MCP URL and https links.
func (l Listing) check() error {
	var errs []error
	for _, f := range []struct{ name, value string }{
		{"MCP URL (TASKBRIDGE_PUBLIC_URL)", l.MCPURL},
		{"website (TASKBRIDGE_PUBLIC_URL)", l.WebsiteURL},
		{"privacy policy", l.PrivacyURL},
		{"terms of service (TASKBRIDGE_PLUGIN_TERMS_URL)", l.TermsURL},
		{"support (TASKBRIDGE_PLUGIN_SUPPORT_URL)", l.SupportURL},
	} {
		if u, err := url.Parse(f.value); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an https URL; submission requires public https links", f.name, f.value))
		}
	}
	if l.Version == "" {
		errs = append(errs, errors.New("version: empty"))
	}
	return errors.Join(errs...)
}

// Files are the bundle's paths, relative to its root.
const (
	ManifestPath = "plugin.json"
	MCPPath      = "mcp.json"
	SkillPath    = "skills/taskbridge/SKILL.md"
	LogoPath     = "assets/logo.png"
	IconPath     = "assets/icon.png"
)

// Write writes the bundle for l to w as a ZIP archive.
func Write(w io.Writer, l Listing) error {
	if err := l.check(); err != nil {
		return err
	}
	manifest, err := json.MarshalIndent(manifestFor(l), "", "  ")
	if err != nil {
		return err
	}
	mcpConfig, err := json.MarshalIndent(map[string]any{
		"mcpServers": map[string]any{Name: map[string]any{"type": "streamable-http", "url": l.MCPURL}},
	}, "", "  ")
	if err != nil {
		return err
	}
	logo, err := iconPNG(512)
	if err != nil {
		return err
	}
	icon, err := iconPNG(64)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		path string
		data []byte
	}{
		{ManifestPath, append(manifest, '\n')},
		{MCPPath, append(mcpConfig, '\n')},
		{SkillPath, []byte(skill)},
		{LogoPath, logo},
		{IconPath, icon},
	} {
		fw, err := zw.Create(f.path)
		if err != nil {
			return fmt.Errorf("plugin bundle: %s: %w", f.path, err)
		}
		if _, err := io.Copy(fw, bytes.NewReader(f.data)); err != nil {
			return fmt.Errorf("plugin bundle: %s: %w", f.path, err)
		}
	}
	return zw.Close()
}
