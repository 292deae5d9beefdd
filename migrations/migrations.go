// Package migrations holds the numbered SQL migrations, embedded in the binary
// so that `taskbridge migrate` needs no files on disk.
package migrations

import "embed"

// FS holds every NNNN_name.up.sql / .down.sql pair of this directory.
//
//go:embed *.sql
var FS embed.FS
