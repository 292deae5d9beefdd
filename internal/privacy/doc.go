// Package privacy implements the user's data rights and the retention
// policy: scheduled retention passes (D3), delete-my-data (D4), export (D5),
// the consent-records view (P4, C3) and the /privacy page (D9, C2).
//
// Everything here runs as taskbridge_runtime under row-level security: a
// user's own export and erasure in a transaction whose identity is that
// user, and retention (which has no user) through SECURITY DEFINER
// functions that delete only rows past their period (migration 0006).
//
// The statements themselves live in the storage adapter
// (internal/postgres, privacy_*.go); this package opens the transactions
// through it, writes the audit events in them (L4), and builds the export
// document and the pages.
package privacy
