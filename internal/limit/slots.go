// Package limit bounds how much work one caller can hold at once.
package limit

import (
	"context"
	"sync"
)

// Slots is a semaphore per key: at most Max holders of one key at a time,
// whatever other keys hold. It bounds one caller's share of a shared
// resource (database connections) instead of counting requests: a caller
// that sends many requests at once queues behind itself, not in front of
// others. Keys with no holder and no waiter are forgotten, so memory
// follows the callers active right now.
type Slots struct {
	max  int
	mu   sync.Mutex
	keys map[string]*keySlots
}

type keySlots struct {
	held chan struct{} // one element per holder
	refs int           // holders and waiters
}

// NewSlots returns Slots allowing max holders per key; max < 1 means no
// limit (Acquire always succeeds at once).
func NewSlots(max int) *Slots {
	return &Slots{max: max, keys: map[string]*keySlots{}}
}

// Acquire waits for a slot of key until ctx ends. It returns the function
// that frees the slot (call it exactly once), or false when ctx ended
// first.
func (s *Slots) Acquire(ctx context.Context, key string) (release func(), ok bool) {
	if s == nil || s.max < 1 {
		return func() {}, true
	}
	s.mu.Lock()
	k := s.keys[key]
	if k == nil {
		k = &keySlots{held: make(chan struct{}, s.max)}
		s.keys[key] = k
	}
	k.refs++
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			<-k.held
			s.forget(key, k)
		})
	}
	select { // a free slot is taken even if ctx has just ended
	case k.held <- struct{}{}:
		return release, true
	default:
	}
	select {
	case k.held <- struct{}{}:
		return release, true
	case <-ctx.Done():
		s.forget(key, k)
		return nil, false
	}
}

func (s *Slots) forget(key string, k *keySlots) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.refs--; k.refs == 0 {
		delete(s.keys, key)
	}
}
