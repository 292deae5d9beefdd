package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// A dev database keeps one set of keys: the second start reads the keys the
// first one made, so notes stay readable and the audit chain verifies.
// load is what cli.Run does: the dev keys, then the configuration.
func load(t *testing.T, vars map[string]string) (*Config, error) {
	t.Helper()
	getenv, err := WithDevSecrets(env(vars))
	if err != nil {
		return nil, err
	}
	return Load(getenv)
}

func TestDevSecretsDirKeepsKeysAcrossStarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	vars := map[string]string{"TASKBRIDGE_ENV": "dev", DevSecretsDirVar: dir}
	first, err := load(t, vars)
	if err != nil {
		t.Fatal(err)
	}
	if first.EncryptionKeys == "" || first.Audit.Keys == "" || len(first.MCP.StateKey) == 0 {
		t.Fatalf("keys not filled from the dev secrets directory: %+v", first)
	}
	second, err := load(t, vars)
	if err != nil {
		t.Fatal(err)
	}
	if second.EncryptionKeys != first.EncryptionKeys || second.Audit.Keys != first.Audit.Keys || string(second.MCP.StateKey) != string(first.MCP.StateKey) {
		t.Error("a second start got different keys")
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode: %v %v, want 0700", st.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(devKeys()) {
		t.Errorf("directory holds %d entries, want one file per key", len(entries))
	}
	for _, e := range entries {
		if info, err := e.Info(); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestDevSecretsDirLeavesSetKeysAlone(t *testing.T) {
	dir := t.TempDir()
	audit := "c2V0IGJ5IHRoZSBkZXZlbG9wZXIsIDMyIGJ5dGVzISE="
	c, err := load(t, map[string]string{"TASKBRIDGE_ENV": "dev", DevSecretsDirVar: dir, "TASKBRIDGE_AUDIT_KEY": audit})
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.Keys != audit {
		t.Errorf("audit key %q, want the one set", c.Audit.Keys)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit-key")); !os.IsNotExist(err) {
		t.Errorf("a file was made for a key that is set: %v", err)
	}
}

func TestDevSecretsDirAgreesUnderConcurrentStarts(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"TASKBRIDGE_ENV": "dev", DevSecretsDirVar: dir}
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			c, err := load(t, vars)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = c.EncryptionKeys + c.Audit.Keys
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatal("concurrent starts made different keys")
		}
	}
}

// Production (set or by default) and test never take keys from files:
// the variable is refused, and nothing is created.
func TestDevSecretsDirRefusedOutsideDev(t *testing.T) {
	for _, mode := range []string{"", "prod", "test"} {
		dir := filepath.Join(t.TempDir(), "secrets")
		vars := map[string]string{DevSecretsDirVar: dir, "TASKBRIDGE_PUBLIC_URL": "https://tb.example"}
		if mode != "" {
			vars["TASKBRIDGE_ENV"] = mode
		}
		_, err := load(t, vars)
		if err == nil || !strings.Contains(err.Error(), DevSecretsDirVar+": development keys are refused") {
			t.Errorf("TASKBRIDGE_ENV=%q: want the dev secrets directory refused, got %v", mode, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("TASKBRIDGE_ENV=%q: the directory was created (%v)", mode, err)
		}
	}
}

// An operator command run beside a dev server, without TASKBRIDGE_ENV,
// hits production's rules; the first line says why and what to set.
func TestUnsetEnvSaysProductionRulesApplyAndWhatToSet(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABASE_URL": "postgres://taskbridge_app@127.0.0.1/taskbridge"}), Serving()...)
	if err == nil {
		t.Fatal("loaded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) < 3 || !strings.Contains(lines[1], "TASKBRIDGE_ENV: unset, so production rules apply") || !strings.Contains(lines[1], "set TASKBRIDGE_ENV=dev") {
		t.Errorf("the first problem does not name TASKBRIDGE_ENV and what to set:\n%v", err)
	}
	_, err = Load(env(map[string]string{"TASKBRIDGE_ENV": "prod"}), Serving()...)
	if err == nil || strings.Contains(err.Error(), "TASKBRIDGE_ENV: unset") {
		t.Errorf("an explicit prod is not unset:\n%v", err)
	}
}
