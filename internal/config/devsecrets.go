package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// DevSecretsDirVar names the development-only directory that holds the keys
// a developer did not set, so a dev database keeps one set of keys across
// restarts (its audit chain verifies, its notes stay readable) without a
// manual secret step. `make run` and the dev docker-compose.yml point it at
// their data. Production never reads secrets from it (S1): Load refuses it
// unless TASKBRIDGE_ENV=dev.
const DevSecretsDirVar = "TASKBRIDGE_DEV_SECRETS_DIR" // #nosec G101 -- the name of a variable, not a credential

// devKey is one key the dev secrets directory supplies: the variable it
// stands in for, the file it lives in and how a fresh one is made.
type devKey struct {
	variable string
	file     string
	generate func() (string, error)
}

func devKeys() []devKey {
	return []devKey{
		{"TASKBRIDGE_ENCRYPTION_KEYS", "encryption-keys", func() (string, error) { return keyring.Generate("dev1") }},
		{"TASKBRIDGE_AUDIT_KEY", "audit-key", randomBase64Key},
		{"TASKBRIDGE_MCP_STATE_KEY", "mcp-state-key", randomBase64Key},
	}
}

func randomBase64Key() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

func devSecretsVar() Var {
	return Var{Name: DevSecretsDirVar,
		Help: "DEV ONLY: a directory for the keys left unset (TASKBRIDGE_ENCRYPTION_KEYS, TASKBRIDGE_AUDIT_KEY, TASKBRIDGE_MCP_STATE_KEY): each is read from its file there, or created at random (mode 0600) on first use, so a dev database keeps its keys across restarts. `make run` and docker-compose.yml set it. Refused unless TASKBRIDGE_ENV=dev.",
		set: func(c *Config, s string) error {
			if s != "" && c.Mode != ModeDev {
				return fmt.Errorf("development keys are refused when TASKBRIDGE_ENV=%s: unset it and set each key itself", c.Mode)
			}
			c.DevSecretsDir = s
			return nil
		}}
}

// WithDevSecrets returns getenv with every unset dev key filled from the
// dev secrets directory, creating missing ones. It does nothing unless the
// directory is set and the mode is dev (Load then reports the refusal, and
// no file is touched). cli.Run applies it before a command loads its
// configuration; Load itself touches no file, so a configuration check
// (cli.CheckConfig) has no side effect.
func WithDevSecrets(getenv Getenv) (Getenv, error) {
	dir, set := lookup(getenv, DevSecretsDirVar)
	mode, _ := lookup(getenv, "TASKBRIDGE_ENV")
	if !set || Mode(strings.ToLower(mode)) != ModeDev {
		return getenv, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &Error{Problems: []error{fmt.Errorf("%s: %w", DevSecretsDirVar, err)}}
	}
	filled := map[string]string{}
	for _, k := range devKeys() {
		if _, set := lookup(getenv, k.variable); set {
			continue
		}
		v, err := readOrCreateKey(filepath.Join(dir, k.file), k.generate)
		if err != nil {
			return nil, &Error{Problems: []error{fmt.Errorf("%s: %s: %w", DevSecretsDirVar, k.variable, err)}}
		}
		filled[k.variable] = v
	}
	return func(name string) string {
		if v, ok := filled[name]; ok {
			return v
		}
		return getenv(name)
	}, nil
}

// readOrCreateKey reads the key in path, or makes a fresh one there. The
// new key is written in full to a temporary file, then linked into place:
// link refuses to replace a file, so two processes starting at once agree
// on one complete key (the loser reads the winner's).
func readOrCreateKey(path string, generate func() (string, error)) (string, error) {
	raw, err := os.ReadFile(path) // #nosec G304 -- the developer's own dev secrets directory, never request input
	if err == nil {
		if v := strings.TrimSpace(string(raw)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s is empty: delete it to have a new key made", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	v, err := generate()
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".new-key-*") // mode 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(v + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readOrCreateKey(path, generate)
	} else if err != nil {
		return "", err
	}
	return v, nil
}
