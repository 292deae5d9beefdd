package oauth

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// Verified access tokens are cached for at most TokenCacheTTL, so a tool
// call costs one token lookup per token per second instead of one per
// request, while a revocation still takes effect within a second on every
// replica, including replicas that never saw the revocation: an entry is
// never trusted past its TTL, whatever happened elsewhere.
//
// Why not longer, or forever with invalidation messages: replicas share
// only the database, and a missed message would leave a revoked token
// working indefinitely. A short TTL fails safe: the worst case is the TTL.
// On the replica that performs a revocation (revocation endpoint, account
// page, token endpoint code replay and reuse detection) the cache is also
// cleared at once, after the revoking transaction commits (cleared before,
// a check in between would read the token as valid and cache it for a
// whole TTL), with a generation counter so that a lookup that read the
// database before the commit cannot put its stale answer back.
//
// Only successful verifications are cached: refusals always reach the
// database (they are rare for real clients, and caching them would let
// anyone fill the cache with garbage). The cache is keyed by SHA-256 of
// the token, so it never holds a usable token, and it is bounded
// (least recently used entries go first).

// TokenCacheTTL is how long a verified token is trusted without a lookup.
const TokenCacheTTL = time.Second

// tokenCacheSize bounds memory: an entry is a few hundred bytes.
const tokenCacheSize = 10_000

type tokenCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	gen     uint64
	entries map[[sha256.Size]byte]*list.Element
	lru     list.List // front: most recently used
}

type cachedToken struct {
	key   [sha256.Size]byte
	p     identity.Principal
	info  *auth.TokenInfo
	until time.Time
}

func newTokenCache(ttl time.Duration, size int) *tokenCache {
	if ttl > TokenCacheTTL {
		ttl = TokenCacheTTL
	}
	return &tokenCache{ttl: ttl, max: size, entries: make(map[[sha256.Size]byte]*list.Element)}
}

// get returns the cached verification of key if it is still fresh at now.
// The principal's scopes are copied, so a caller cannot change the entry.
func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (identity.Principal, *auth.TokenInfo, bool) {
	if c == nil || c.ttl <= 0 {
		return identity.Principal{}, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return identity.Principal{}, nil, false
	}
	e := el.Value.(*cachedToken)
	if !now.Before(e.until) {
		c.lru.Remove(el)
		delete(c.entries, key)
		return identity.Principal{}, nil, false
	}
	c.lru.MoveToFront(el)
	p := e.p
	p.Scopes = append([]identity.Scope(nil), e.p.Scopes...)
	return p, e.info, true
}

// generation is read before a database lookup and passed to put.
func (c *tokenCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores a verification made at now from a lookup that started at
// generation gen; it is dropped if the cache was invalidated since. The
// entry expires after the TTL or with the token, whichever is first.
func (c *tokenCache) put(key [sha256.Size]byte, gen uint64, p identity.Principal, info *auth.TokenInfo, now, tokenExpires time.Time) {
	if c == nil || c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if tokenExpires.Before(until) {
		until = tokenExpires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cachedToken)
		e.p, e.info, e.until = p, info, until
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(&cachedToken{key: key, p: p, info: info, until: until})
	for c.lru.Len() > c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedToken).key)
	}
}

// invalidate forgets every entry; lookups in flight will not store theirs.
func (c *tokenCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	c.lru.Init()
}

// ForgetVerifiedTokens clears this replica's cache of verified tokens, for
// changes that end tokens without going through this package (account
// erasure): the next request on this replica is checked against the
// database.
func (s *Server) ForgetVerifiedTokens() { s.tokens.invalidate() }
