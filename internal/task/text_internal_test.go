package task

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestNeedsCleaningFastPathAgrees: the byte-wise ASCII prefix scan decides
// exactly as the rune-wise rule does.
func TestNeedsCleaningFastPathAgrees(t *testing.T) {
	reference := func(s string, multiline bool) bool {
		if !utf8.ValidString(s) {
			return true
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && (unicode.IsControl(r) || isInvisibleFormat(r))) {
				if multiline && (r == '\n' || r == '\t') {
					continue
				}
				return true
			}
		}
		return false
	}
	for _, s := range []string{"", "plain", "line\nbreak", "tab\there", "cr\rhere", "del\x7f", "nul\x00", "bell\a",
		"ascii then é", "ascii then \u200b zero width", "bad \xff utf8", "\xff", "é\n", "ok\n\u202e", "x\u0085y"} {
		for _, ml := range []bool{false, true} {
			if got, want := needsCleaning(s, ml), reference(s, ml); got != want {
				t.Errorf("needsCleaning(%q, %v) = %v, want %v", s, ml, got, want)
			}
		}
	}
}
