// Package capture holds what a server started inside a test writes.
package capture

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that is safe to read while the server writes
// to it: hand it to cli.Env as Stdout or Stderr (the JSON logs) and read
// String() from the test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
