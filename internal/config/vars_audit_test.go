package config

import (
	"strings"
	"testing"
)

func TestProductionRequiresAnAuditKey(t *testing.T) {
	prod := validProd()
	delete(prod, "TASKBRIDGE_AUDIT_KEY")
	if _, err := Load(env(prod), Serving()...); err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_AUDIT_KEY") {
		t.Fatalf("prod without an audit key: %v", err)
	}
	prod["TASKBRIDGE_AUDIT_KEY"] = "change-me-audit-key"
	if _, err := Load(env(prod), Serving()...); err == nil || strings.Contains(err.Error(), "change-me") {
		t.Fatalf("a bad audit key must fail without being echoed: %v", err)
	}
	prod["TASKBRIDGE_AUDIT_KEY"] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
	c, err := Load(env(prod), Serving()...)
	if err != nil || c.Audit.Keys == "" {
		t.Fatalf("prod with an audit key: %v", err)
	}
	dev := map[string]string{"TASKBRIDGE_ENV": "dev"}
	if c, err := Load(env(dev)); err != nil || c.Audit.Keys != "" {
		t.Fatalf("dev without an audit key must load (ephemeral key): %v", err)
	}
}
