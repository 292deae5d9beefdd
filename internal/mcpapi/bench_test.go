package mcpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// BenchmarkToolCall drives one tool through the whole /mcp handler on the
// real database (no network). Besides wall time (mostly waiting for
// PostgreSQL) it reports cpu-us/op: this process's user+system CPU per
// call, the server-side cost that decides how many calls two cores carry.
func BenchmarkToolCall(b *testing.B) {
	e := newRawEnv(b)
	var created struct {
		Task struct{ ID string } `json:"task"`
	}
	for i := range 25 {
		w := e.post(toolCall("create_task", map[string]any{"title": fmt.Sprintf("bench %d", i), "notes": "some notes to shape", "tags": []string{"bench"}}), false)
		var msg struct {
			Result struct {
				StructuredContent json.RawMessage `json:"structuredContent"`
			} `json:"result"`
		}
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &msg) != nil || json.Unmarshal(msg.Result.StructuredContent, &created) != nil {
			b.Fatalf("seed: %d %s", w.Code, w.Body.String())
		}
	}
	type bench struct {
		name, tool string
		args       map[string]any
	}
	cases := []bench{
		{"list_tasks_25", "list_tasks", map[string]any{"limit": 25}},
		{"get_task", "get_task", map[string]any{"id": created.Task.ID}},
		{"update_task", "update_task", map[string]any{"id": created.Task.ID, "priority": "high"}},
		{"search", "search", map[string]any{"query": "bench 1"}},
	}
	// Each call in both protocol eras: 2026-07-28 carries per-request _meta
	// and more headers, and its result resultType and serverInfo.
	for _, era := range []string{"2025-06-18", currentEra} {
		for _, c := range cases {
			params := map[string]any{"name": c.tool, "arguments": c.args}
			if meta := eraMeta(era); meta != nil {
				params["_meta"] = meta
			}
			body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
			if err != nil {
				b.Fatal(err)
			}
			header := eraHeaders(era, c.tool)
			b.Run(era+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(4) // calls in flight at once, as under load: a lone caller makes the scheduler spin
				before := cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if w := e.postWith(body, false, header); w.Code != http.StatusOK {
							b.Errorf("%d %s", w.Code, w.Body.String())
							return
						}
					}
				})
				b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-us/op")
			})
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
