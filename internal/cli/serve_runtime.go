package cli

import "runtime/debug"

// Garbage-collector settings for serve, unless the operator set GOGC or
// GOMEMLIMIT in the environment (the Go runtime reads those itself).
//
// A tool call allocates a few hundred KiB of short-lived garbage (mostly
// JSON buffers inside the MCP SDK) while the live heap stays small, so with
// the default GOGC=100 the collector runs every few dozen calls and took a
// quarter of the CPU under load (pprof, `taskbridge bench --cpuprofile`).
// GOGC=400 lets the heap grow to five times the live data between
// collections; the soft memory limit keeps the process inside the RSS
// budget (150 MiB) by collecting earlier if the heap ever gets close.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 120 << 20
)

func tuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
