package config

import (
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestZeroConfigurationIsProductionAndRefusesToStartUnsafely(t *testing.T) {
	_, err := Load(env(nil), Serving()...)
	if err == nil {
		t.Fatal("empty environment loaded; the zero configuration must be prod and refuse plain http")
	}
	if !strings.Contains(err.Error(), "production requires an https URL") {
		t.Fatalf("error does not explain the http refusal:\n%v", err)
	}
}

func TestProductionRefusesDebugAndHTTPAndMissingKeys(t *testing.T) {
	_, err := Load(env(map[string]string{
		"TASKBRIDGE_ENV": "prod", "TASKBRIDGE_PUBLIC_URL": "http://localhost:8080", "TASKBRIDGE_DEBUG": "true",
	}), Serving()...)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *config.Error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"TASKBRIDGE_PUBLIC_URL", "TASKBRIDGE_DEBUG", "TASKBRIDGE_ENCRYPTION_KEYS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing complaint about %s in:\n%s", want, msg)
		}
	}
}

func TestDevDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "dev"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Metrics != "127.0.0.1:9090" {
		t.Errorf("listeners must default to loopback: %q %q", c.Addr, c.Metrics)
	}
	if got := c.MCPResourceURL(); got != "http://localhost:8080/mcp" {
		t.Errorf("resource URL %q", got)
	}
}

func TestEveryBadValueIsReportedOnItsOwnLine(t *testing.T) {
	_, err := Load(env(map[string]string{
		"TASKBRIDGE_ENV":             "staging",
		"TASKBRIDGE_PUBLIC_URL":      "https://example.com/",
		"TASKBRIDGE_ADDR":            "8080",
		"TASKBRIDGE_MAX_BODY_BYTES":  "1",
		"TASKBRIDGE_REQUEST_TIMEOUT": "forever",
		"DATABASE_URL":               "mysql://root:hunter2@db/x",
		"TASKBRIDGE_TRUSTED_PROXIES": "10.0.0.0/8,nonsense",
		"TASKBRIDGE_ENCRYPTION_KEYS": "k1:short",
	}), Serving()...)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	msg := err.Error()
	for _, want := range []string{"TASKBRIDGE_ENV", "trailing slash", "TASKBRIDGE_ADDR", "TASKBRIDGE_MAX_BODY_BYTES",
		"TASKBRIDGE_REQUEST_TIMEOUT", "DATABASE_URL", "nonsense", "TASKBRIDGE_ENCRYPTION_KEYS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Error("a secret value was echoed in the error")
	}
}

func TestPublicURLRules(t *testing.T) {
	for _, bad := range []string{"ftp://x", "https://", "https://u:p@example.com", "https://example.com?x=1",
		"https://example.com#f", "http://example.com", "http://10.0.0.1:8080"} {
		if _, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_PUBLIC_URL": bad})); err == nil {
			t.Errorf("public URL %q accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:8080", "https://Tasks.Example.com", "https://example.com/prefix"} {
		if _, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_PUBLIC_URL": good})); err != nil {
			t.Errorf("public URL %q refused: %v", good, err)
		}
	}
}

func TestEveryVariableIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Vars() {
		if v.Help == "" || v.set == nil {
			t.Errorf("%s has no help or parser", v.Name)
		}
		if seen[v.Name] {
			t.Errorf("%s declared twice", v.Name)
		}
		seen[v.Name] = true
	}
}

// validProd is a complete, valid production environment; tests delete or
// change one variable to prove that one requirement.
func validProd() map[string]string {
	return map[string]string{
		"TASKBRIDGE_ENV":             "prod",
		"TASKBRIDGE_PUBLIC_URL":      "https://tasks.example.com",
		"DATABASE_URL":               "postgres://taskbridge_app:pw@db:5432/taskbridge",
		"TASKBRIDGE_ENCRYPTION_KEYS": "k1:" + strings.Repeat("A", 43) + "=",
		"TASKBRIDGE_AUDIT_KEY":       strings.Repeat("B", 43) + "=",
		"TASKBRIDGE_MCP_STATE_KEY":   strings.Repeat("C", 43) + "=",
	}
}

func TestValidProductionEnvironmentLoads(t *testing.T) {
	if _, err := Load(env(validProd()), Serving()...); err != nil {
		t.Fatalf("a complete production environment must load: %v", err)
	}
}
