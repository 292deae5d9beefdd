package cli_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

func pluginEnv() map[string]string {
	return map[string]string{
		"TASKBRIDGE_ENV":                "prod",
		"TASKBRIDGE_PUBLIC_URL":         "https://tasks.example.com",
		"TASKBRIDGE_PLUGIN_TERMS_URL":   "https://example.com/terms",
		"TASKBRIDGE_PLUGIN_SUPPORT_URL": "https://example.com/support",
	}
}

// readZip returns each file of the archive by path.
func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return files
}

// knownTools are the tool names of the real tools/list (its golden file).
func knownTools(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../mcpapi/testdata/tools_list.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tool := range list.Tools {
		names[tool.Name] = true
	}
	return names
}

// TestPluginPackageWritesTheSubmissionBundle runs `taskbridge plugin
// package` and checks the ZIP against the documented shape (platform
// reference §4.3): a root plugin.json with the OpenAI listing under
// extensions["com.openai"] (https website, privacy, terms and support URLs
// from the configuration, icons that are in the bundle), at least five
// positive and three negative review cases naming real tools, mcp.json
// naming this deployment's MCP URL, and a skill.
func TestPluginPackageWritesTheSubmissionBundle(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bundle.zip")
	var stdout bytes.Buffer
	err := cli.Run(t.Context(), cli.Env{Args: []string{"plugin", "package", "--out", out, "--version", "1.2.0"}, Getenv: envFrom(pluginEnv()), Stdout: &stdout, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "https://tasks.example.com/mcp") {
		t.Errorf("stdout %q does not name the MCP URL", stdout.String())
	}
	files := readZip(t, out)

	var manifest struct {
		Name, Version, Description, Homepage, MCPServers, Skills string
		Extensions                                               map[string]struct {
			Interface map[string]any
			Review    struct {
				TestCases struct {
					Positive, Negative []struct {
						Description, Prompt string
						ToolsTriggered      []string `json:"tools_triggered"`
						ExpectedBehavior    string   `json:"expected_behavior"`
					}
				} `json:"test_cases"`
			}
		}
	}
	if err := json.Unmarshal(files["plugin.json"], &manifest); err != nil {
		t.Fatalf("plugin.json: %v\n%s", err, files["plugin.json"])
	}
	if manifest.Name != "taskbridge" || manifest.Version != "1.2.0" || manifest.Description == "" || manifest.Homepage != "https://tasks.example.com" {
		t.Errorf("plugin.json root fields: %+v", manifest)
	}
	if _, ok := files[strings.TrimPrefix(manifest.MCPServers, "./")]; !ok {
		t.Errorf("mcpServers %q is not in the bundle", manifest.MCPServers)
	}
	openai, ok := manifest.Extensions["com.openai"]
	if !ok {
		t.Fatalf("no extensions[\"com.openai\"] in plugin.json:\n%s", files["plugin.json"])
	}
	for field, want := range map[string]string{
		"websiteURL": "https://tasks.example.com", "privacyPolicyURL": "https://tasks.example.com/privacy",
		"termsOfServiceURL": "https://example.com/terms", "supportURL": "https://example.com/support",
	} {
		if openai.Interface[field] != want {
			t.Errorf("interface.%s = %v, want %s", field, openai.Interface[field], want)
		}
	}
	for _, field := range []string{"displayName", "shortDescription", "longDescription", "category"} {
		if s, _ := openai.Interface[field].(string); s == "" {
			t.Errorf("interface.%s is empty", field)
		}
	}
	for field, size := range map[string]int{"logo": 512, "composerIcon": 64} {
		path, _ := openai.Interface[field].(string)
		img, err := png.Decode(bytes.NewReader(files[strings.TrimPrefix(path, "./")]))
		if err != nil || img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("interface.%s %q: not a %dx%d PNG in the bundle (%v)", field, path, size, size, err)
		}
	}
	tools := knownTools(t)
	cases := openai.Review.TestCases
	if len(cases.Positive) < 5 || len(cases.Negative) < 3 {
		t.Errorf("review test cases: %d positive, %d negative; submission asks for at least 5 and 3", len(cases.Positive), len(cases.Negative))
	}
	for _, c := range append(cases.Positive, cases.Negative...) {
		if c.Description == "" || c.Prompt == "" || c.ExpectedBehavior == "" {
			t.Errorf("incomplete test case %+v", c)
		}
		for _, name := range c.ToolsTriggered {
			if !tools[name] {
				t.Errorf("test case %q names tool %q, which tools/list does not have", c.Description, name)
			}
		}
	}
	for _, c := range cases.Positive {
		if len(c.ToolsTriggered) == 0 {
			t.Errorf("positive case %q triggers no tool", c.Description)
		}
	}

	var mcpConfig struct {
		MCPServers map[string]struct{ Type, URL string } `json:"mcpServers"`
	}
	if err := json.Unmarshal(files["mcp.json"], &mcpConfig); err != nil {
		t.Fatal(err)
	}
	if s := mcpConfig.MCPServers["taskbridge"]; s.Type != "streamable-http" || s.URL != "https://tasks.example.com/mcp" {
		t.Errorf("mcp.json: %s", files["mcp.json"])
	}
	skill := string(files["skills/taskbridge/SKILL.md"])
	if !strings.HasPrefix(skill, "---\nname: taskbridge\ndescription: ") {
		t.Errorf("skill without its front matter:\n%s", skill)
	}
}

// TestPluginPackageRefusesWhatReviewRefuses: missing listing links, a
// plain-http public URL and an existing file are clear errors, and nothing
// is written or overwritten.
func TestPluginPackageRefusesWhatReviewRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		edit  func(map[string]string)
		wants []string
	}{
		{"no links", func(e map[string]string) {
			delete(e, "TASKBRIDGE_PLUGIN_TERMS_URL")
			delete(e, "TASKBRIDGE_PLUGIN_SUPPORT_URL")
		}, []string{"TASKBRIDGE_PLUGIN_TERMS_URL", "TASKBRIDGE_PLUGIN_SUPPORT_URL"}},
		{"http public URL", func(e map[string]string) {
			e["TASKBRIDGE_ENV"] = "dev"
			e["TASKBRIDGE_PUBLIC_URL"] = "http://localhost:8080"
		}, []string{"TASKBRIDGE_PUBLIC_URL", "https"}},
	} {
		env := pluginEnv()
		c.edit(env)
		out := filepath.Join(dir, c.name+".zip")
		err := cli.Run(t.Context(), cli.Env{Args: []string{"plugin", "package", "--out", out}, Getenv: envFrom(env), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
		for _, want := range c.wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err %v, want it to name %s", c.name, err, want)
			}
		}
		if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
			t.Errorf("%s: a bundle was written", c.name)
		}
	}

	existing := filepath.Join(dir, "old.zip")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := cli.Run(t.Context(), cli.Env{Args: []string{"plugin", "package", "--out", existing}, Getenv: envFrom(pluginEnv()), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if got, _ := os.ReadFile(existing); err == nil || string(got) != "keep me" {
		t.Errorf("existing file: err %v, content %q", err, got)
	}
	for _, args := range [][]string{{"plugin"}, {"plugin", "zip"}, {"plugin", "package", "extra"}} {
		if err := cli.Run(t.Context(), cli.Env{Args: args, Getenv: envFrom(pluginEnv()), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%q: err %v, want a usage error", args, err)
		}
	}
}
