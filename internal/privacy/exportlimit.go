package privacy

import (
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"github.com/google/uuid"
)

// DefaultExportsPerHour is Options.ExportsPerHour when left zero.
const DefaultExportsPerHour = 10

// exportGate bounds the work one user can make this replica do with
// exports (I8): one export of an account at a time, and perHour exports an
// hour, whether from the account page or an app's token. An export streams
// a whole account from one snapshot, so without it one account (or one
// token) could keep a replica's CPU, database connections and bandwidth
// busy with back-to-back downloads.
type exportGate struct {
	mu       sync.Mutex
	inFlight map[uuid.UUID]bool
	perHour  *httprate.RateLimiter
}

func newExportGate(perHour int) *exportGate {
	if perHour <= 0 {
		perHour = DefaultExportsPerHour
	}
	return &exportGate{
		inFlight: map[uuid.UUID]bool{},
		// Only Retry-After: the X-RateLimit-* headers are of no use to a
		// person downloading their data.
		perHour: httprate.NewRateLimiter(perHour, time.Hour,
			httprate.WithResponseHeaders(httprate.ResponseHeaders{RetryAfter: "Retry-After"})),
	}
}

// exportRefusal says why an export did not start.
type exportRefusal string

const (
	exportRunning exportRefusal = "An export of this account is already running. Wait for it to finish, then try again."
	exportTooMany exportRefusal = "Too many exports of this account in the last hour. Try again later."
)

// acquire starts an export of userID: release ends it. When it cannot
// start, the refusal says why and w carries Retry-After for the hourly
// limit. A refused concurrent export does not use up the hourly budget.
func (g *exportGate) acquire(w http.ResponseWriter, r *http.Request, userID uuid.UUID) (release func(), refused exportRefusal) {
	g.mu.Lock()
	running := g.inFlight[userID]
	if !running {
		g.inFlight[userID] = true
	}
	g.mu.Unlock()
	if running {
		w.Header().Set("Retry-After", "10")
		return nil, exportRunning
	}
	release = func() {
		g.mu.Lock()
		delete(g.inFlight, userID)
		g.mu.Unlock()
	}
	if g.perHour.OnLimit(w, r, userID.String()) {
		release()
		return nil, exportTooMany
	}
	return release, ""
}
