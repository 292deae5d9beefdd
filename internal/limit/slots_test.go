package limit

import (
	"context"
	"testing"
)

// TestSlotsBoundEachKeyAlone: a key's holders are bounded, another key is
// not affected, a waiter gives up when its context ends, and a key with no
// holder is forgotten.
func TestSlotsBoundEachKeyAlone(t *testing.T) {
	s := NewSlots(2)
	ctx := context.Background()
	r1, ok1 := s.Acquire(ctx, "a")
	r2, ok2 := s.Acquire(ctx, "a")
	if !ok1 || !ok2 {
		t.Fatal("the first two holders of a key were refused")
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := s.Acquire(ended, "a"); ok {
		t.Fatal("a third holder got a slot of a full key")
	}
	rb, ok := s.Acquire(ended, "b")
	if !ok {
		t.Fatal("another key was limited by a's holders")
	}
	rb()
	r1()
	r1() // releasing twice frees one slot only
	r3, ok := s.Acquire(ended, "a")
	if !ok {
		t.Fatal("a freed slot was not reusable")
	}
	if _, ok := s.Acquire(ended, "a"); ok {
		t.Fatal("a double release freed two slots")
	}
	r2()
	r3()
	if n := len(s.keys); n != 0 {
		t.Fatalf("%d keys kept with no holder", n)
	}
}
