// Package faults holds no production code: its tests run the real server
// (cli.Run, the same wiring as `taskbridge serve`) against throwaway
// PostgreSQL clusters they control, and break things under load: the
// database restarts, the process is told to stop, two replicas share one
// database. `go test -short` skips them (each needs its own cluster).
package faults
