// Package httpx is the HTTP plumbing every route shares: correlation ids,
// security headers, body and time limits, panic recovery, access logs,
// health endpoints, JSON errors and graceful shutdown.
package httpx
