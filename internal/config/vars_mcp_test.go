package config

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestMCPStateKeyRequiredInProduction(t *testing.T) {
	base := validProd()
	delete(base, "TASKBRIDGE_MCP_STATE_KEY")
	_, err := Load(env(base), Serving()...)
	if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_MCP_STATE_KEY") {
		t.Fatalf("prod without a state key: %v", err)
	}
	base["TASKBRIDGE_MCP_STATE_KEY"] = "c2hvcnQ="
	if _, err := Load(env(base), Serving()...); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short state key: %v", err)
	}
	base["TASKBRIDGE_MCP_STATE_KEY"] = strings.Repeat("A", 43) + "="
	c, err := Load(env(base), Serving()...)
	if err != nil || len(c.MCP.StateKey) != 32 {
		t.Fatalf("valid key: %v", err)
	}
}

func TestMCPTestFixtureOnlyInTestModeOnLoopback(t *testing.T) {
	for _, c := range []struct {
		mode, addr string
		ok         bool
	}{
		{"test", "127.0.0.1:0", true},
		{"dev", "127.0.0.1:0", false},
		{"prod", "127.0.0.1:0", false},
		{"test", "0.0.0.0:8080", false},
		{"test", "localhost:8080", false},
	} {
		_, err := Load(env(map[string]string{"TASKBRIDGE_ENV": c.mode, "TASKBRIDGE_ADDR": c.addr, "TASKBRIDGE_MCP_TEST_FIXTURE": "true",
			"TASKBRIDGE_PUBLIC_URL": "https://tasks.example", "TASKBRIDGE_ENCRYPTION_KEYS": "k1:" + strings.Repeat("A", 43) + "=",
			"TASKBRIDGE_MCP_STATE_KEY": strings.Repeat("A", 43) + "="}))
		if (err == nil) != c.ok {
			t.Errorf("mode %s addr %s: err %v, want ok=%v", c.mode, c.addr, err, c.ok)
		}
	}
}

// TASKBRIDGE_MCP_STATE_KEY "new,old": the first key signs, the rest only
// verify; each is checked on its own (S2).
func TestMCPStateKeyAcceptsPreviousKeysForRotation(t *testing.T) {
	newKey, oldKey := strings.Repeat("n", 32), strings.Repeat("o", 32)
	spec := base64.StdEncoding.EncodeToString([]byte(newKey)) + ", " + base64.StdEncoding.EncodeToString([]byte(oldKey))
	c, err := Load(func(k string) string {
		return map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_MCP_STATE_KEY": spec}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.MCP.StateKey) != newKey || len(c.MCP.PreviousStateKeys) != 1 || string(c.MCP.PreviousStateKeys[0]) != oldKey {
		t.Fatalf("signing key %q, previous %q", c.MCP.StateKey, c.MCP.PreviousStateKeys)
	}
	for _, bad := range []string{
		base64.StdEncoding.EncodeToString([]byte(newKey)) + ",short",
		base64.StdEncoding.EncodeToString([]byte(newKey)) + ",",
		strings.Repeat(base64.StdEncoding.EncodeToString([]byte(newKey))+",", 4) + base64.StdEncoding.EncodeToString([]byte(oldKey)),
	} {
		_, err := Load(func(k string) string {
			return map[string]string{"TASKBRIDGE_ENV": "test", "TASKBRIDGE_MCP_STATE_KEY": bad}[k]
		})
		if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_MCP_STATE_KEY") {
			t.Errorf("%q: error %v, want one naming TASKBRIDGE_MCP_STATE_KEY", bad, err)
		}
	}
}

// TestMCPConcurrentCallsPerUserStaysBelowThePool: one user may never hold
// every pooled connection (I8).
func TestMCPConcurrentCallsPerUserStaysBelowThePool(t *testing.T) {
	for _, c := range []struct {
		perUser, pool string
		ok            bool
	}{
		{"4", "10", true},
		{"9", "10", true},
		{"10", "10", false},
		{"4", "4", false},
	} {
		_, err := Load(env(map[string]string{"TASKBRIDGE_ENV": "test",
			"TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER": c.perUser, "TASKBRIDGE_DB_MAX_CONNS": c.pool}))
		if (err == nil) != c.ok {
			t.Errorf("%s calls per user with a pool of %s: %v, want ok=%v", c.perUser, c.pool, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER") {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
}
