package mcpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
)

// app is one connected app (a grant) of a user, posting raw JSON-RPC.
type app struct {
	e           *env
	user, grant uuid.UUID
	protocol    string
}

func (e *env) app(user uuid.UUID, protocol string) app {
	return app{e: e, user: user, grant: uuid.New(), protocol: protocol}
}

// post sends body and returns the status, Retry-After and body.
func (a app) post(ctx context.Context, body []byte) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.e.srv.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", a.protocol)
	req.Header.Set(userHeader, a.user.String())
	req.Header.Set(scopesHeader, identity.JoinScopes(readWrite))
	req.Header.Set(grantHeader, a.grant.String())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), raw, err
}

func rpcCall(id int, tool string, args any) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args}}
}

func createBatch(n int) []byte {
	msgs := make([]map[string]any, n)
	for i := range msgs {
		msgs[i] = rpcCall(i+1, "create_task", map[string]any{"title": fmt.Sprintf("flood %d", i)})
	}
	raw, _ := json.Marshal(msgs)
	return raw
}

type rpcAnswer struct {
	ID     any `json:"id"`
	Result struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// lockWaiters counts the database sessions of this test's database
// waiting for a lock.
func lockWaiters(t *testing.T, ctx context.Context) int {
	t.Helper()
	var n int
	err := tdb.Admin(t).QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFloodFromOneAppLeavesThePoolToOthers (I8): one connected app sends
// two batches of 20 create_task calls (protocol 2025-03-26) and ten single
// calls at once, and every one of its calls blocks in the database (the
// test holds a lock on the user's row that task inserts wait for). The app
// holds its two slots, so two connections; the rest of its calls wait for
// a slot of their own app, not for the pool. Another user's list_tasks
// then succeeds while the flood is still stuck: it does not queue behind
// it. Before the limit, the flood took every pooled connection and the
// other user's call waited until its deadline.
func TestFloodFromOneAppLeavesThePoolToOthers(t *testing.T) {
	e := newEnv(t, func(d *mcpapi.Deps) {
		d.Limits = mcpapi.Limits{ConcurrentCallsPerGrant: 2, ConcurrentCallsPerUser: 3}
	})
	ctx := context.Background()
	alice, bob := e.newUser(t), e.newUser(t)
	flooder := e.app(alice, "2025-03-26")

	lock, err := tdb.Admin(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, alice); err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers [][]byte
		failed  []string
	)
	send := func(a app, body []byte) {
		defer wg.Done()
		status, _, raw, err := a.post(ctx, body)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || status != http.StatusOK {
			failed = append(failed, fmt.Sprintf("status %d err %v body %s", status, err, raw))
			return
		}
		answers = append(answers, raw)
	}
	for range 2 {
		wg.Add(1)
		go send(flooder, createBatch(20))
	}
	single := flooder
	single.protocol = "2025-06-18" // the direct path (fastcall.go)
	for i := range 10 {
		wg.Add(1)
		body, _ := json.Marshal(rpcCall(1, "create_task", map[string]any{"title": fmt.Sprintf("single %d", i)}))
		go send(single, body)
	}
	for deadline := time.Now().Add(30 * time.Second); lockWaiters(t, ctx) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the flood's calls never reached the database")
		}
		time.Sleep(5 * time.Millisecond) // polling for the state, not waiting for it to happen
	}

	// The safety net only: with the limit, bob's call does not wait for
	// the flood at all.
	bobCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(rpcCall(1, "list_tasks", map[string]any{}))
	status, _, raw, err := e.app(bob, "2025-06-18").post(bobCtx, body)
	if err != nil || status != http.StatusOK {
		t.Fatalf("another user's call during the flood: status %d, err %v, body %s", status, err, raw)
	}
	var bobAnswer rpcAnswer
	if err := json.Unmarshal(raw, &bobAnswer); err != nil || bobAnswer.Error != nil || bobAnswer.Result.IsError {
		t.Fatalf("another user's call during the flood failed: %s", raw)
	}
	if n := lockWaiters(t, ctx); n > 2 {
		t.Fatalf("%d of the flood's calls hold a database connection at once; want at most its app's 2 slots", n)
	}

	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("flood requests failed at the HTTP level: %v", failed)
	}
	// Every flood call either ran or was refused with the rate-limit tool
	// error (no slot within its wait); none failed otherwise.
	ran := 0
	for _, raw := range answers {
		var list []rpcAnswer
		if raw[0] != '[' {
			list = make([]rpcAnswer, 1)
			if err := json.Unmarshal(raw, &list[0]); err != nil {
				t.Fatal(err)
			}
		} else if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			switch {
			case a.Error != nil:
				t.Fatalf("flood call: JSON-RPC error %+v", a.Error)
			case !a.Result.IsError:
				ran++
			case len(a.Result.Content) == 0 || !strings.HasPrefix(a.Result.Content[0].Text, "rate limited"):
				t.Fatalf("flood call failed with %+v, want success or the rate-limit error", a.Result)
			}
		}
	}
	if ran == 0 {
		t.Fatal("no flood call ran")
	}
}

// TestBatchesAreBoundedAndCharged (I8): a batch is refused with a JSON-RPC
// Invalid Request error, before any call runs, when its protocol version
// has no batches (2025-06-18 and later) or it holds more than 20 messages;
// each message of an accepted batch is charged to the app's per-minute
// budget, and a batch that does not fit is refused whole with 429.
func TestBatchesAreBoundedAndCharged(t *testing.T) {
	e := newEnv(t, func(d *mcpapi.Deps) { d.Limits = mcpapi.Limits{CallsPerMinute: 25} })
	ctx := context.Background()
	user := e.newUser(t)
	refused := func(what string, a app, body []byte) {
		t.Helper()
		status, _, raw, err := a.post(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		var answer rpcAnswer
		if status != http.StatusBadRequest || json.Unmarshal(raw, &answer) != nil || answer.Error == nil ||
			answer.Error.Code != -32600 || answer.ID != nil {
			t.Fatalf("%s: status %d body %s; want 400 with a JSON-RPC Invalid Request error (id null)", what, status, raw)
		}
	}
	refused("a batch in 2025-06-18", e.app(user, "2025-06-18"), createBatch(2))
	refused("a batch in 2025-11-25", e.app(user, "2025-11-25"), createBatch(2))
	refused("a batch of 21", e.app(user, "2025-03-26"), createBatch(21))
	if rows := auditRows(t); len(rows) != 0 {
		t.Fatalf("refused batches ran calls: %d audit rows", len(rows))
	}

	a := e.app(user, "2025-03-26")
	if status, _, raw, err := a.post(ctx, createBatch(20)); err != nil || status != http.StatusOK {
		t.Fatalf("a batch of 20: status %d err %v body %s", status, err, raw)
	}
	status, retry, raw, err := a.post(ctx, createBatch(6))
	if err != nil || status != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("6 more calls with 5 left in the minute: status %d Retry-After %q body %s; want 429 with Retry-After", status, retry, raw)
	}
	body, _ := json.Marshal(rpcCall(1, "create_task", map[string]any{"title": "fits"}))
	if status, _, raw, err := a.post(ctx, body); err != nil || status != http.StatusOK {
		t.Fatalf("one more call within the budget: status %d err %v body %s", status, err, raw)
	}
	if rows := auditRows(t); len(rows) != 21 {
		t.Fatalf("%d calls ran, want 21 (the batch refused with 429 ran none)", len(rows))
	}
}
