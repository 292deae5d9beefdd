package mcpapi

import (
	"encoding/json"
	"testing"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// FuzzEncodersMatchEncodingJSON checks that the hand-written encoders
// (encode.go) write byte for byte what json.Marshal writes, with s in
// every string field, empty and set optional fields, and nil and empty
// slices and maps.
func FuzzEncodersMatchEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \back\slash/`, "<script>&amp;</script>", "tab\tnl\ncr\rbs\bff\f\x00\x1f\x7f",
		"\u2028\u2029 é 日本 🙂", "bad \xff\xfe utf8 \xc3", "\u200b\u202e zero-width"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, full bool) {
		tk := taskOut{ID: s, Title: s, Status: s, Priority: s, Tags: []string{s, "x"}, CreatedAt: s, UpdatedAt: s}
		bt := boardTask{ID: s, Title: s, Status: s, Priority: s, Tags: []string{}, CreatedAt: s, UpdatedAt: s}
		l := listOut{Tasks: []taskOut{tk}, View: s}
		b := board{Tasks: []boardTask{bt}, View: s, PurgeConfirmations: map[string]string{}, GeneratedAt: s}
		if full {
			tk.DueDate, tk.NotesExcerpt, tk.InTrash = s+"d", s+"n", true
			bt.Notes, bt.NotesCut, bt.DueDate, bt.InTrash, bt.CompletedAt, bt.DeletedAt = s+"n", true, s+"d", true, s+"c", s+"x"
			l = listOut{Tasks: []taskOut{tk, tk}, Count: 2, HasMore: true, NextCursor: s + "c", View: s}
			b = board{Tasks: []boardTask{bt, bt}, View: s, NextCursor: s + "c", Counts: &postgres.TaskCounts{Open: 1, Done: -2, Trash: 3},
				PurgeConfirmations: map[string]string{s: s, "b" + s: "1", "a": s}, GeneratedAt: s}
		} else {
			tk.Tags, l.Tasks, b.Tasks, b.PurgeConfirmations = nil, nil, nil, nil
		}
		for _, v := range []jsonAppender{tk, taskResult{Task: tk}, l, bt, b} {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.appendJSON(nil); string(got) != string(want) {
				t.Errorf("%T:\n got  %s\n want %s", v, got, want)
			}
		}
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("string:\n got  %s\n want %s", got, want)
		}
	})
}
