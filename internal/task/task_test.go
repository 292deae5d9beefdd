package task_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/task"
)

func TestCleanText(t *testing.T) {
	cases := []struct {
		name, in, want string
		multiline      bool
	}{
		{"plain", "  buy milk ", "buy milk", false},
		{"control chars", "a\x00b\x1bc\x7fd", "abcd", false},
		{"newline single-line", "line1\nline2", "line1 line2", false},
		{"newline multiline", "line1\r\nline2\tx", "line1\nline2\tx", true},
		{"zero width", "pay\u200bpal\u200d\ufeff", "paypal", false},
		{"bidi override", "abc\u202edcba\u202c", "abcdcba", false},
		{"bidi isolates", "\u2066x\u2069", "x", false},
		{"tag characters", "hi\U000E0041\U000E0042", "hi", false},
		{"invalid utf8", "ok\xffok", "ok\uFFFDok", false},
		{"c1 controls", "a\u0085b\u009bc", "abc", false},
		{"emoji kept", "ship 🚀 ✅", "ship 🚀 ✅", false},
	}
	for _, c := range cases {
		if got := task.CleanText(c.in, c.multiline); got != c.want {
			t.Errorf("%s: CleanText(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestNewTaskValidationReportsEveryField(t *testing.T) {
	n := task.NewTask{Title: strings.Repeat("x", 201), Notes: strings.Repeat("n", 20001), Priority: "urgent", Tags: []string{"ok", "bad tag!"}}
	err := n.Normalize()
	var ve *task.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"title", "notes", "priority", "tags"} {
		if !fields[want] {
			t.Errorf("no error for %s in %v", want, ve)
		}
	}
	empty := task.NewTask{Title: " \u200b "}
	if err := empty.Normalize(); err == nil {
		t.Error("a title of only invisible characters was accepted")
	}
}

func TestTagsAreNormalizedAndNotSilentlyReplaced(t *testing.T) {
	base := task.Task{Title: "t", Tags: []string{"home", "urgent"}}
	p := task.Patch{AddTags: []string{"Errand", "home"}, RemoveTags: []string{"urgent"}}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	got, err := p.Apply(base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Tags, ",") != "home,errand" {
		t.Fatalf("tags %v, want [home errand]", got.Tags)
	}
	both := task.Patch{AddTags: []string{"a"}, SetTags: &[]string{"b"}}
	if err := both.Normalize(); err == nil {
		t.Fatal("set_tags together with add_tags accepted")
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = strings.Repeat("t", i+1)
	}
	if _, err := task.NormalizeTags(many); err == nil {
		t.Fatal("21 tags accepted")
	}
	tooMany := task.Patch{AddTags: many[:19]}
	if err := tooMany.Normalize(); err != nil {
		t.Fatal(err)
	}
	if _, err := tooMany.Apply(base); err == nil {
		t.Fatal("patch growing the tag set past 20 accepted")
	}
}

func TestEmptyPatchIsRefused(t *testing.T) {
	var p task.Patch
	if err := p.Normalize(); err == nil {
		t.Fatal("empty patch accepted")
	}
}

func TestParseDate(t *testing.T) {
	for _, good := range []string{"2026-11-21", "1970-01-01", "9999-12-31"} {
		if d, err := task.ParseDate(good); err != nil || d.String() != good {
			t.Errorf("%s: %v %v", good, d, err)
		}
	}
	for _, bad := range []string{"", "2026-2-1", "2026-02-30", "21/11/2026", "2026-11-21T10:00:00Z", "1969-12-31", "10000-01-01", "2026-11-21 ", "tomorrow"} {
		if _, err := task.ParseDate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFilterCapsPageSizeAndChecksRanges(t *testing.T) {
	f := task.Filter{Limit: 10_000}
	if err := f.Normalize(); err != nil || f.Limit != task.MaxPageSize {
		t.Fatalf("limit %d err %v", f.Limit, err)
	}
	a, _ := task.ParseDate("2026-01-02")
	b, _ := task.ParseDate("2026-01-01")
	bad := task.Filter{DueBefore: &b, DueAfter: &a, Status: "archived", View: "all", Limit: -1}
	err := bad.Normalize()
	var ve *task.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 4 {
		t.Fatalf("want 4 field errors, got %v", err)
	}
}
