// Package postgres is the storage adapter: a pgx pool that always acts as the
// least-privileged runtime role, the embedded migrations, and transactions
// that carry the caller's identity so row-level security scopes every query
// to one user (A8).
package postgres
