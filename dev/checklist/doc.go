// Package checklist holds no code: its tests are the parts of the security
// checklist a machine can check on every `go test` (O5), such as no process
// execution in the server (I7), pinned scanners that `make lint` runs (O1,
// S1) and a reason on every scanner exclusion; and the architecture rules
// README.md states (architecture_test.go): the domain imports no adapter,
// only cmd/ and internal/cli import the wiring, no init functions.
package checklist
