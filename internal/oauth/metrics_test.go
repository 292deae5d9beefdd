package oauth_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/taskbridge/taskbridge/internal/oauth"
)

type countingMetrics struct {
	mu       sync.Mutex
	failures map[string]int
	reuse    int
}

func (m *countingMetrics) AuthFailure(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[reason]++
}

func (m *countingMetrics) RefreshTokenReuse() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reuse++
}

func (m *countingMetrics) totals() (failures, reuse int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.failures {
		failures += n
	}
	return failures, m.reuse
}

// TestSecurityCountersFeedTheAlertRules proves refused bearer tokens and
// refresh-token reuse reach the metrics that deploy/prometheus/alerts.yml
// alerts on (L6).
func TestSecurityCountersFeedTheAlertRules(t *testing.T) {
	m := &countingMetrics{failures: map[string]int{}}
	e := newEnv(t, withOptions(oauth.WithMetrics(m)))
	if e.mcp("Bearer not-a-real-token").StatusCode != http.StatusUnauthorized {
		t.Fatal("a made-up token was accepted")
	}
	if f, _ := m.totals(); f != 1 {
		t.Fatalf("refused token counted %d times, want 1", f)
	}
	c := e.publicClient()
	tok := e.login(e.newUser(), c, true)
	_, r1 := e.refresh(c, tok.Refresh, nil)
	_, _ = e.refresh(c, r1["refresh_token"].(string), nil)
	if _, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
		t.Fatalf("reuse not refused: %v", body)
	}
	if _, reuse := m.totals(); reuse != 1 {
		t.Fatalf("refresh-token reuse counted %d times, want 1", reuse)
	}
}
