package mcpapi

import (
	"context"

	"github.com/taskbridge/taskbridge/internal/audit"
)

// SetAuditAppender replaces audit.Append for one handler, so a test can
// make the audit write fail and check the effect rolled back with it.
func SetAuditAppender(d *Deps, f func(ctx context.Context, q audit.Execer, e audit.Event) error) {
	d.appendAudit = f
}

// ScanText exposes the injection scanner to the corpus test.
func ScanText(raw string) []string { return scanText(injectionPatterns(), raw) }

// IssuePurgeToken mints a confirmation with the handler's key derivation.
func IssuePurgeToken(d Deps, user, taskID [16]byte) string {
	return purgeCodec{key: subkey(d.StateKey, "purge"), now: d.Now}.issue(user, taskID)
}
