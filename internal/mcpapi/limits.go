package mcpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/httprate"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/limit"
)

// Work limits (I8): what one caller can make this replica do is bounded by
// what it does, not by how many HTTP requests carry it. The HTTP layer
// (internal/server) limits requests per connected app; a JSON-RPC batch
// (protocol 2025-03-26 and older) is one request carrying many calls,
// which the go-sdk runs all at once, each on a database connection of its
// own. So here:
//
//   - a batch holds at most maxBatchMessages messages, and a batch in a
//     protocol version without batching (2025-06-18 and later) is refused,
//     both with a JSON-RPC Invalid Request error before anything runs;
//   - every message, alone or in a batch, is charged to its app's budget
//     of Limits.CallsPerMinute (so a single request costs what the HTTP
//     layer's per-app limit charges, and a batch what it carries); a batch
//     that does not fit is refused whole (429, Retry-After), before any
//     call runs;
//   - a tools/call holds a slot of its app and one of its user for as long
//     as it runs (Limits.ConcurrentCallsPerGrant, ConcurrentCallsPerUser).
//     A call waits for its slots up to slotWait (and the request's
//     deadline), then gets a rate-limit tool error. A call holds at most
//     one pooled connection at a time, so one app, and one user, hold at
//     most that many connections: a flood queues behind itself, and other
//     users' calls find the pool free. The per-call policy (policy.go),
//     which both call paths run, takes the slots, around the scope check
//     too, whose refusal writes an audit row.
//
// A call refused here writes no audit row: writing it would take the
// database connection the limit is protecting. It is logged and counted
// (tool-call outcome "rate_limited", L6).

// Limits bound one caller's work on this replica; a zero field is no
// limit.
type Limits struct {
	CallsPerMinute          int // JSON-RPC messages per connected app (TASKBRIDGE_RATE_MCP_PER_MINUTE)
	ConcurrentCallsPerGrant int // TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_GRANT
	ConcurrentCallsPerUser  int // TASKBRIDGE_MCP_CONCURRENT_CALLS_PER_USER
}

// maxBatchMessages bounds a JSON-RPC batch. Hosts send one message per
// request; batching exists only in protocol 2025-03-26 and older.
const maxBatchMessages = 20

// slotWait is how long a call waits for a free slot of its app and user.
const slotWait = 5 * time.Second

// batchingUntil is the first protocol version without JSON-RPC batches.
const batchingUntil = "2025-06-18"

const rateLimitedText = "rate limited: too many calls at once from this connection; " +
	"wait for the calls in progress to finish, then retry"

// workLimits holds the per-replica state of Limits.
type workLimits struct {
	calls     *httprate.RateLimiter // nil: no per-minute budget
	perMinute int
	grants    *limit.Slots
	users     *limit.Slots
}

func newWorkLimits(l Limits) workLimits {
	w := workLimits{perMinute: l.CallsPerMinute,
		grants: limit.NewSlots(l.ConcurrentCallsPerGrant), users: limit.NewSlots(l.ConcurrentCallsPerUser)}
	if l.CallsPerMinute > 0 {
		w.calls = httprate.NewRateLimiter(l.CallsPerMinute, time.Minute)
	}
	return w
}

// admitRequest checks a POST's messages against the batch rules and
// charges them to the app's per-minute budget. It reports false after
// answering the request.
func (s *service) admitRequest(w http.ResponseWriter, r *http.Request, p identity.Principal, calls []peekedRequest, batch bool) bool {
	if batch {
		version := r.Header.Get("Mcp-Protocol-Version")
		switch {
		case version >= batchingUntil:
			writeInvalidRequest(w, "JSON-RPC batches are not part of MCP "+version+"; send one message per request")
			return false
		case len(calls) > maxBatchMessages:
			writeInvalidRequest(w, fmt.Sprintf("a JSON-RPC batch holds at most %d messages; split it", maxBatchMessages))
			return false
		}
	}
	if s.limits.calls == nil {
		return true
	}
	n := max(len(calls), 1)
	charged := r.WithContext(httprate.WithIncrement(r.Context(), n))
	if !s.limits.calls.OnLimit(w, charged, p.AppKey()) {
		return true
	}
	s.Metrics.RateLimited("/mcp")
	desc := "too many tool calls from this connection; retry later"
	if n > s.limits.perMinute {
		desc = "this batch holds more messages than this connection may send in a minute; split it"
	}
	httpx.WriteError(w, r, http.StatusTooManyRequests, "rate_limited", desc)
	return false
}

// writeInvalidRequest answers a batch the server refuses as a whole with
// a JSON-RPC Invalid Request error (id null: no single request it
// answers).
func writeInvalidRequest(w http.ResponseWriter, message string) {
	writeRPCError(w, http.StatusBadRequest, json.RawMessage("null"), jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: message})
}

// admitCall waits for a slot of p's app and of p's user. It returns the
// function that frees both, or false when none came in time.
func (s *service) admitCall(ctx context.Context, p identity.Principal, tool string) (release func(), ok bool) {
	wait, cancel := context.WithTimeout(ctx, slotWait)
	defer cancel()
	freeGrant, ok := s.limits.grants.Acquire(wait, p.AppKey())
	if !ok {
		s.refusedCall(ctx, tool)
		return nil, false
	}
	freeUser, ok := s.limits.users.Acquire(wait, p.UserID.String())
	if !ok {
		freeGrant()
		s.refusedCall(ctx, tool)
		return nil, false
	}
	return func() { freeUser(); freeGrant() }, true
}

func (s *service) refusedCall(ctx context.Context, tool string) {
	if _, known := s.specs[tool]; !known {
		tool = unknownToolName
	}
	s.Metrics.ToolCall(tool, "rate_limited")
	s.Log.WarnContext(ctx, "tool call: no free slot for its connection or user", slog.String("tool", tool))
}
