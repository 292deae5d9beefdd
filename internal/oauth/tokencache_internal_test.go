package oauth

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/identity"
)

func TestTokenCacheTTLIsCappedAtOneSecond(t *testing.T) {
	if c := newTokenCache(time.Hour, 10); c.ttl != TokenCacheTTL {
		t.Fatalf("ttl %s, want the cap %s", c.ttl, TokenCacheTTL)
	}
}

// TestTokenCacheLookupRacingARevocationIsNotStored: a lookup that read the
// database before a local revocation must not put its answer back after
// the cache was cleared.
func TestTokenCacheLookupRacingARevocationIsNotStored(t *testing.T) {
	c := newTokenCache(TokenCacheTTL, 10)
	now := time.Now()
	key := sha256.Sum256([]byte("tbat_x"))
	gen := c.generation() // lookup starts
	c.invalidate()        // revocation commits meanwhile
	c.put(key, gen, identity.Principal{UserID: uuid.New()}, &auth.TokenInfo{}, now, now.Add(time.Hour))
	if _, _, ok := c.get(key, now); ok {
		t.Fatal("a lookup older than the invalidation was cached")
	}
}

func TestTokenCacheIsBoundedAndCopiesScopes(t *testing.T) {
	c := newTokenCache(TokenCacheTTL, 3)
	now := time.Now()
	for i := range 5 {
		key := sha256.Sum256([]byte{byte(i)})
		c.put(key, c.generation(), identity.Principal{Scopes: []identity.Scope{identity.ScopeTasksRead}}, &auth.TokenInfo{}, now, now.Add(time.Hour))
	}
	if len(c.entries) != 3 || c.lru.Len() != 3 {
		t.Fatalf("cache holds %d/%d entries, want 3", len(c.entries), c.lru.Len())
	}
	if _, _, ok := c.get(sha256.Sum256([]byte{0}), now); ok {
		t.Error("the least recently used entry was not evicted")
	}
	p, _, ok := c.get(sha256.Sum256([]byte{4}), now)
	if !ok {
		t.Fatal("the newest entry is missing")
	}
	p.Scopes[0] = identity.ScopeTasksWrite
	if p2, _, _ := c.get(sha256.Sum256([]byte{4}), now); p2.Scopes[0] != identity.ScopeTasksRead {
		t.Error("a caller changed the cached scopes")
	}
	if _, _, ok := c.get(sha256.Sum256([]byte{4}), now.Add(TokenCacheTTL)); ok {
		t.Error("an entry was trusted at its TTL")
	}
}

func BenchmarkTokenCacheHit(b *testing.B) {
	c := newTokenCache(TokenCacheTTL, tokenCacheSize)
	now := time.Now()
	key := sha256.Sum256([]byte("tbat_bench"))
	c.put(key, 0, identity.Principal{UserID: uuid.New(), Scopes: []identity.Scope{identity.ScopeTasksRead}}, &auth.TokenInfo{}, now, now.Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		k := sha256.Sum256([]byte("tbat_bench"))
		if _, _, ok := c.get(k, now); !ok {
			b.Fatal("miss")
		}
	}
}
