// Package doctor checks a deployed taskbridge from the outside, the way an
// MCP host (ChatGPT, Claude, MCP Inspector) discovers and connects to it:
// the MCP URL itself, the unauthenticated 401 and its WWW-Authenticate
// challenge, the protected-resource metadata, the authorization-server
// metadata, the registration endpoint, the widget resource (with a token)
// and TLS/HSTS. Every failure comes with the exact fix.
//
// The doctor only talks to the origin of the URL the operator gave: a
// document naming another host is reported, never fetched (O6; SSRF-safe by
// construction, see guardedTransport). Every request has a timeout and
// normal TLS verification, and it never creates anything on the server (the
// registration probe sends a registration the server must refuse).
package doctor
