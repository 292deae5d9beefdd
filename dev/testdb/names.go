package testdb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	databasePrefix = "tb_"
	appRolePrefix  = "tb_app_"
	// maxPackagePart keeps tb_<pkg>_<random> well inside PostgreSQL's
	// 63-byte identifier limit.
	maxPackagePart = 24
)

// randomHex returns n random bytes, hex encoded: safe in identifiers, SQL
// literals and URLs without quoting.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// testPackageName names the package under test: the test binary is
// <pkg>.test, and go test runs it in the package directory.
func testPackageName() string {
	if bin := filepath.Base(os.Args[0]); strings.HasSuffix(bin, ".test") {
		if name := sanitizeName(strings.TrimSuffix(bin, ".test")); name != "" {
			return name
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if name := sanitizeName(filepath.Base(wd)); name != "" {
			return name
		}
	}
	return "pkg"
}

// sanitizeName lowercases s and keeps only [a-z0-9], turning runs of anything
// else into one underscore, so the result is a plain SQL identifier part.
func sanitizeName(s string) string {
	var b strings.Builder
	pendingUnderscore := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if pendingUnderscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			pendingUnderscore = false
			b.WriteRune(r)
			continue
		}
		pendingUnderscore = true
	}
	out := b.String()
	if len(out) > maxPackagePart {
		out = strings.TrimRight(out[:maxPackagePart], "_")
	}
	return out
}
