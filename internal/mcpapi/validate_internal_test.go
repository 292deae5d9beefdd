package mcpapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestServerSideValidationWithoutSchema calls the validators directly, as
// if the SDK's JSON-schema check were absent or loosened: the server still
// refuses every bad value (I1).
func TestServerSideValidationWithoutSchema(t *testing.T) {
	long := strings.Repeat("x", 201)
	checks := map[string]error{}
	_, checks["bad uuid"] = parseID("id", "not-a-uuid")
	_, checks["nil uuid"] = parseID("id", "00000000-0000-0000-0000-000000000000")
	_, checks["bad date"] = parseNewTask(createInput{Title: "t", DueDate: "2026-02-30"})
	_, checks["long title"] = parseNewTask(createInput{Title: long})
	_, checks["long notes"] = parseNewTask(createInput{Title: "t", Notes: strings.Repeat("n", 20001)})
	_, checks["bad priority"] = parseNewTask(createInput{Title: "t", Priority: "urgent"})
	_, checks["too many tags"] = parseNewTask(createInput{Title: "t", Tags: make([]string, 21)})
	_, _, checks["bad status"] = parseFilter("archived", "", "", "", "", "", 0)
	_, _, checks["bad view"] = parseFilter("", "", "", "", "", "all", 0)
	_, _, checks["big limit"] = parseFilter("", "", "", "", "", "", 101)
	_, _, checks["negative limit"] = parseFilter("", "", "", "", "", "", -1)
	_, _, checks["long query"] = parseFilter("", "", "", "", long, "", 0)
	_, _, checks["long tag"] = parseFilter("", "", "", strings.Repeat("t", 33), "", "", 0)
	_, _, checks["inverted range"] = parseFilter("", "2026-01-01", "2026-02-01", "", "", "", 0)
	_, _, checks["empty patch"] = parsePatch(updateInput{ID: "x"})
	_, _, checks["set and add tags"] = parsePatch(updateInput{AddTags: []string{"a"}, SetTags: &[]string{"b"}})
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if _, ok := err.(*toolError); !ok {
			t.Errorf("%s: %T is not a tool error the model can act on", name, err)
		}
	}
}

// TestCutMatchesRuneSlicing: cut counts characters, not bytes, and cuts
// inside the limit with an ellipsis, exactly as slicing []rune would.
func TestCutMatchesRuneSlicing(t *testing.T) {
	reference := func(s string, n int) (string, bool) {
		if utf8.RuneCountInString(s) <= n {
			return s, false
		}
		r := []rune(s)
		return string(r[:n-1]) + "…", true
	}
	for _, s := range []string{"", "a", "abc", "abcd", "äöü", "äöüß", "日本語テキスト", "😀😀😀😀", strings.Repeat("x", 300), strings.Repeat("é", 281), strings.Repeat("é", 280)} {
		for _, n := range []int{1, 2, 3, 4, 280} {
			got, gotCut := cut(s, n)
			want, wantCut := reference(s, n)
			if got != want || gotCut != wantCut {
				t.Errorf("cut(%q, %d) = %q %v, want %q %v", s, n, got, gotCut, want, wantCut)
			}
		}
	}
}
