// Package loadgen drives authenticated MCP tools/call requests at a
// taskbridge server and summarises what it saw: throughput, latency
// percentiles, errors by kind, and (separately) the raw database ceiling
// for the same read shape. `taskbridge bench` is its command line; the
// fault tests use it as their load.
//
// It sends plain JSON-RPC over HTTP (the stateless streamable transport)
// rather than going through an MCP client library, so the client side costs
// little of the two cores it shares with the server and the database.
//
// Every loop is bounded twice, by time and by a call count, and the target
// must be a loopback address unless the caller explicitly allows a remote
// one (see CheckTarget).
package loadgen
