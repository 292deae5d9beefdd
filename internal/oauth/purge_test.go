package oauth_test

import (
	"context"
	"testing"
	"time"
)

// TestPurgesAreBatchedAndStopAtTheBoundary: each purge removes at most its
// limit per table, so a pass after a long outage runs as many short
// transactions; nothing goes a second before its expiry, everything goes
// at it (D3).
func TestPurgesAreBatchedAndStopAtTheBoundary(t *testing.T) {
	tdb.Reset(t) // the purges are global: only this test's rows may exist
	e := newEnv(t)
	ctx := context.Background()
	st := e.oauth.Store()
	c := e.publicClient()
	issued := e.clock.Now()
	for range 3 {
		e.login(e.newUser(), c, false)
	}
	codeExpiry := issued.Add(e.cfg.OAuth.CodeTTL)
	if n, err := st.PurgeExpiredCodes(ctx, codeExpiry.Add(-time.Second), 2); err != nil || n != 0 {
		t.Fatalf("a second before the codes expire: removed %d (%v), want 0", n, err)
	}
	for i, want := range []int64{2, 1, 0} {
		if n, err := st.PurgeExpiredCodes(ctx, codeExpiry, 2); err != nil || n != want {
			t.Fatalf("code batch %d at expiry: removed %d (%v), want %d", i, n, err, want)
		}
	}

	accessExpiry := issued.Add(e.cfg.OAuth.AccessTokenTTL)
	count := func(q string) int {
		var n int
		if err := tdb.Admin(t).QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const access = `SELECT count(*) FROM oauth_tokens WHERE kind = 'access'`
	before := count(access)
	if n, err := st.PurgeExpiredTokens(ctx, accessExpiry.Add(-time.Second), e.cfg.OAuth.RefreshGrace, 2); err != nil || n != 0 {
		t.Fatalf("a second before the access tokens expire: removed %d (%v), want 0", n, err)
	}
	if n, err := st.PurgeExpiredTokens(ctx, accessExpiry, e.cfg.OAuth.RefreshGrace, 2); err != nil || n != 2 {
		t.Fatalf("first token batch at expiry: removed %d (%v), want 2 (the limit)", n, err)
	}
	if got := count(access); got != before-2 {
		t.Fatalf("%d access tokens left after one batch of 2 from %d", got, before)
	}
	if count(`SELECT count(*) FROM oauth_token_families`) != 3 {
		t.Fatal("a family went before its absolute lifetime")
	}
}
