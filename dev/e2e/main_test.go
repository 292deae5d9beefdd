package e2e_test

import (
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/taskbridge/taskbridge/dev/testdb"
)

var (
	tdb *testdb.Database
	// auditKey is the TASKBRIDGE_AUDIT_KEY of every server this package
	// starts and of the audit commands it runs: the chain in the shared
	// database must verify under one key.
	auditKey string
)

func TestMain(m *testing.M) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err)
	}
	auditKey = base64.StdEncoding.EncodeToString(raw)
	testdb.Main(m, &tdb)
}
