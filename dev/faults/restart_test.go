package faults_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/loadgen"
)

// TestPostgresRestartUnderLoad stops PostgreSQL while clients create and
// read tasks, keeps it down for a while, and starts it again. It checks:
//
//   - every create the clients saw acknowledged is in the database
//     afterwards (nothing acknowledged is lost);
//   - while the database is down, calls fail fast with 503 and Retry-After
//     (not a hang until the request timeout, not a 500, not an in-band tool
//     error the model would try to "fix"), and /readyz says 503;
//   - the same server process serves again once the database is back.
//
// The cluster stops cleanly (Stop = pg_ctl -m fast, Start): a clean
// shutdown writes every committed transaction out, so the check holds even
// though the throwaway cluster runs with synchronous_commit and fsync off.
// A crash (power cut) with those settings may lose the last commits by
// design of the test cluster, which would test the cluster's settings, not
// the server.
func TestPostgresRestartUnderLoad(t *testing.T) {
	cluster, db := newCluster(t)
	env := serveEnv(t, db, map[string]string{"TASKBRIDGE_MCP_TEST_FIXTURE": "true"})
	r := startReplica(t, env)

	seen := newAcks()
	var outageStart, outageEnd time.Time
	var phaseMu sync.Mutex
	var during, late int // calls that ended while the database was down; of those, any slower than the request timeout
	onCall := func(c loadgen.CallRecord) {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		if c.Err == nil {
			seen.ok++
			if c.Title != "" {
				seen.titles[c.Title] = true
			}
			return
		}
		seen.kinds[loadgen.Kind(c.Err)]++
		phaseMu.Lock()
		defer phaseMu.Unlock()
		if !outageStart.IsZero() && outageEnd.IsZero() {
			during++
			if c.Latency > 5*time.Second {
				late++
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loadDone := make(chan *loadgen.Report, 1)
	go func() {
		rep, err := loadgen.Run(ctx, loadgen.Options{
			URL: r.mcpURL(), Tokens: []string{"fixture"}, Clients: 4, Duration: 2 * time.Minute, MaxCalls: 200_000,
			Mix:    loadgen.Mix{List: 30, Get: 20, Create: 40, Update: 5, Complete: 5},
			OnCall: onCall, HTTPClient: httpClient(10 * time.Second),
		})
		if err != nil {
			t.Error(err)
		}
		loadDone <- rep
	}()

	waitFor(t, "acknowledged writes before the outage", 30*time.Second, func() bool { return len(seen.snapshotTitles()) >= 50 })
	phaseMu.Lock()
	outageStart = time.Now()
	phaseMu.Unlock()
	if err := cluster.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// During the outage: the load sees 503s, and a probe gets a quick 503
	// with Retry-After from both /mcp and /readyz.
	waitFor(t, "503 answers during the outage", 30*time.Second, func() bool {
		_, kinds := seen.count()
		return kinds["http_503"] >= 20
	})
	probe := httpClient(7 * time.Second) // the request timeout is 5s: a hang fails here
	resp := postToolCall(t, probe, r.mcpURL(), `{"name":"create_task","arguments":{"title":"during the outage"}}`)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a call during the outage: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ready, err := probe.Get("http://" + r.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", ready.StatusCode)
	}

	if err := cluster.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	phaseMu.Lock()
	outageEnd = time.Now()
	phaseMu.Unlock()

	// Recovery without a restart of the server: new acknowledged writes.
	before := len(seen.snapshotTitles())
	waitFor(t, "acknowledged writes after the database came back", 30*time.Second, func() bool {
		return len(seen.snapshotTitles()) >= before+50
	})
	cancel()
	rep := <-loadDone
	rep.Print(testLog{t})

	acked := seen.snapshotTitles()
	stored := storedTitles(t, db)
	var missing []string
	for title := range acked {
		if !stored[title] {
			missing = append(missing, title)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged creates are not in the database, e.g. %q", len(missing), len(acked), missing[0])
	}
	_, kinds := seen.count()
	for kind, n := range kinds {
		if kind != "http_503" {
			t.Errorf("%d calls failed as %s; during an outage every failure must be a 503", n, kind)
		}
	}
	phaseMu.Lock()
	defer phaseMu.Unlock()
	if late > 0 {
		t.Errorf("%d of %d failed calls during the outage took longer than the request timeout", late, during)
	}
	t.Logf("acknowledged creates: %d, all stored; failures during the outage: %d (%v)", len(acked), during, kinds)
}

// postToolCall sends one raw tools/call and returns the response with its
// body read.
func postToolCall(t *testing.T, c *http.Client, url, params string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":`+params+`}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := c.Do(req)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the call hung past the client timeout: %v", err)
		}
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
