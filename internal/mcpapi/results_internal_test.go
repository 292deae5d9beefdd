package mcpapi

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/task"
)

// A list's ids and timestamps, formatted into one shared string, read
// exactly as each task's own formatting does, whatever the zone or year.
func TestListStringsMatchEachTasks(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{
		time.Date(2026, 12, 8, 3, 4, 5, 999, time.UTC),
		time.Date(1999, 1, 1, 0, 0, 0, 0, east),
		time.Date(12345, 6, 7, 8, 9, 10, 0, time.UTC),
		{},
	}
	var tasks []task.Task
	for i, c := range times {
		tasks = append(tasks, task.Task{ID: uuid.New(), CreatedAt: c, UpdatedAt: times[(i+1)%len(times)]})
	}
	tasks = append(tasks, task.Task{})
	got := listStrings(tasks)
	for i, tk := range tasks {
		if want := stringsOf(tk); got[i] != want {
			t.Errorf("task %d: %+v, want %+v", i, got[i], want)
		}
	}
	if len(listStrings(nil)) != 0 {
		t.Error("an empty list has strings")
	}
}

// Tags are cleaned as each one alone would be, empty ones dropped, and
// never null.
func TestCleanTags(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{}, []string{}},
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"a", " b ", "", "c\u200b", "d"}, []string{"a", "b", "c", "d"}},
		{[]string{"", "x"}, []string{"x"}},
	} {
		got := cleanTags(tc.in)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("cleanTags(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
