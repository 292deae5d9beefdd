package oauth

import "sync"

// failureCounters counts bearer-token refusals by reason.
type failureCounters struct {
	mu     sync.Mutex
	counts map[string]uint64
}

func newFailureCounters() *failureCounters { return &failureCounters{counts: map[string]uint64{}} }

func (f *failureCounters) add(reason string) {
	f.mu.Lock()
	f.counts[reason]++
	f.mu.Unlock()
}

func (f *failureCounters) snapshot() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]uint64, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}
