package mcpapi_test

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/task"
)

type injectionCase struct {
	Name  string   `json:"name"`
	Title string   `json:"title"`
	Notes string   `json:"notes"`
	Tags  []string `json:"tags"`
	Flag  bool     `json:"flag"`
}

func loadCorpus(t *testing.T) []injectionCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/injection/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []injectionCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("corpus has %d cases, want at least 30", len(cases))
	}
	return cases
}

type recordingMetrics struct {
	mu    sync.Mutex
	flags map[string]int
	calls map[string]int
}

func (m *recordingMetrics) ToolCall(tool, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[tool+"/"+outcome]++
}

func (m *recordingMetrics) InjectionFlag(kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flags[kind]++
}

func hasUnsafeChars(s string) bool {
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// TestInjectionCorpus runs every corpus entry through create, get and list:
// nothing is refused, text is stored and returned cleaned of control and
// invisible characters but otherwise intact, and suspicious entries are
// flagged in the audit trail and the metrics (I3, I5, I6).
func TestInjectionCorpus(t *testing.T) {
	metrics := &recordingMetrics{flags: map[string]int{}, calls: map[string]int{}}
	e := newEnv(t, func(d *mcpapi.Deps) { d.Metrics = metrics })
	s := e.client(t, e.newUser(t), readWrite)
	cases := loadCorpus(t)
	ids := map[string]string{}
	for _, c := range cases {
		args := map[string]any{"title": c.Title}
		if c.Notes != "" {
			args["notes"] = c.Notes
		}
		if len(c.Tags) > 0 {
			args["tags"] = c.Tags
		}
		tk := create(t, s, args) // never blocked
		ids[tk.ID] = c.Name

		var got oneTask
		res := callOK(t, s, "get_task", map[string]any{"id": tk.ID}, &got)
		if want := task.CleanText(c.Title, false); got.Task.Title != want {
			t.Errorf("%s: title %q, want cleaned %q", c.Name, got.Task.Title, want)
		}
		full, _ := boardOf(t, res)["tasks"].([]any)[0].(map[string]any)["notes"].(string)
		if want := task.CleanText(c.Notes, true); !strings.HasPrefix(want, strings.TrimSuffix(full, "…")) {
			t.Errorf("%s: widget notes are not a prefix of the cleaned notes", c.Name)
		}
		if hasUnsafeChars(got.Task.Title) || hasUnsafeChars(got.Task.NotesExcerpt) || hasUnsafeChars(full) || hasUnsafeChars(text(res)) {
			t.Errorf("%s: control or invisible characters in the result", c.Name)
		}
		if strings.Count(text(res), "</task_data>") != 1 {
			t.Errorf("%s: user text closed or opened the data marker: %q", c.Name, text(res))
		}
	}
	var l listJSON
	callOK(t, s, "list_tasks", map[string]any{"limit": 100}, &l)
	if l.Count != len(cases) {
		t.Fatalf("list shows %d of %d corpus tasks", l.Count, len(cases))
	}

	flagged := map[string]bool{}
	for _, r := range auditRows(t) {
		if r.Type != "content.flagged" {
			continue
		}
		if r.Outcome != "flagged" || r.Detail["tool"] != "create_task" {
			t.Errorf("flag row %+v", r)
		}
		flagged[ids[r.Detail["task_id"].(string)]] = true
	}
	total := 0
	for _, n := range metrics.flags {
		total += n
	}
	for _, c := range cases {
		if flagged[c.Name] != c.Flag {
			t.Errorf("%s: flagged=%v, want %v (kinds %v)", c.Name, flagged[c.Name], c.Flag, mcpapi.ScanText(c.Title+"\n"+c.Notes))
		}
	}
	if total == 0 || metrics.calls["create_task/success"] != len(cases) {
		t.Errorf("metrics: flags %v calls %v", metrics.flags, metrics.calls)
	}
}
