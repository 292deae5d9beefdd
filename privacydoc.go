// Package taskbridge holds the documents the binary serves; the program
// itself lives in cmd/taskbridge and internal/.
package taskbridge

import _ "embed"

// PrivacyPolicy is PRIVACY.md, served rendered at /privacy (D9). Its
// retention table is checked against the configuration defaults by
// internal/privacy TestPublishedRetentionMatchesDefaults.
//
//go:embed PRIVACY.md
var PrivacyPolicy []byte
