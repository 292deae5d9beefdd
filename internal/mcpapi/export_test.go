package mcpapi

import (
	"context"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// SetAuditAppender replaces audit.Append for one handler, so a test can
// make the audit write fail and check the effect rolled back with it.
func SetAuditAppender(d *Deps, f func(ctx context.Context, q postgres.Execer, e audit.Event) error) {
	d.appendAudit = f
}

// ScanText exposes the injection scanner to the corpus test.
func ScanText(raw string) []string { return scanText(injectionPatterns(), raw) }

// IssuePurgeToken mints a confirmation with the handler's key derivation,
// for the trashing of taskID at deletedAt.
func IssuePurgeToken(d Deps, user, taskID [16]byte, deletedAt time.Time) string {
	return purgeCodec{key: subkey(d.StateKey, "purge"), now: d.Now}.issue(user, taskID, deletedAt)
}

// SDKOnly makes the handler leave every tools/call to the go-sdk, as the
// reference the direct path (fastcall.go) is compared with.
func SDKOnly(d *Deps) { d.sdkOnly = true }

// OnDirectCall reports each tools/call the direct path answers.
func OnDirectCall(d *Deps, f func(tool string)) { d.onDirectCall = f }
