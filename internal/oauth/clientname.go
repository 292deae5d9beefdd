package oauth

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Look-alike client names (P4, A2). A client chooses its own name, and a
// name that mixes alphabets ("ChatGРТ" with Cyrillic Р and Т) or uses
// stylised letters ("ＣｈａｔＧＰＴ") looks exactly like another app's.
// Registration refuses the forms no real name needs: scripts mixed inside
// one word, and stylised letters. The consent page warns about those (a
// client registered before the rule) and about what a real name may do
// but an imitation does too: different scripts in different words, or a
// name written entirely in letters that look Latin.

// scriptSets are the combinations of scripts that real names mix (Unicode
// TS #39, "highly restrictive"): Latin with the scripts of Chinese,
// Japanese and Korean writing.
var scriptSets = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// latinLookalikes are Cyrillic and Greek letters drawn like Latin ones.
const latinLookalikes = "АВЕЅІЈКМНОРСТУХавеһіјорсѕуухԁԛԝӏҮΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαν"

// scriptOf names the script of a letter, or "" for a character every script
// shares (digits, punctuation, combining marks).
func scriptOf(r rune) string {
	if !unicode.IsLetter(r) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// scriptsOf lists the scripts of s's letters, sorted.
func scriptsOf(s string) []string {
	var out []string
	for _, r := range s {
		if sc := scriptOf(r); sc != "" && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	slices.Sort(out)
	return out
}

// mixesScripts reports whether scripts is a combination no real name needs.
func mixesScripts(scripts []string) bool {
	if len(scripts) <= 1 {
		return false
	}
	for _, set := range scriptSets {
		if !slices.ContainsFunc(scripts, func(sc string) bool { return !slices.Contains(set, sc) }) {
			return false
		}
	}
	return true
}

// stylised reports whether s has a letter or digit that is a compatibility
// form of another (fullwidth, mathematical, circled...): NFKC changes it.
func stylised(s string) bool {
	for _, r := range s {
		if (unicode.IsLetter(r) || unicode.IsDigit(r)) && norm.NFKC.String(string(r)) != string(r) {
			return true
		}
	}
	return false
}

// refusedNameReason is why registration refuses a client name, or "".
func refusedNameReason(name string) string {
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) }) {
		if sc := scriptsOf(word); mixesScripts(sc) {
			return fmt.Sprintf("client_name mixes %s letters in the word %q, which makes it look like another name", strings.Join(sc, " and "), word)
		}
	}
	if stylised(name) {
		return "client_name uses stylised look-alike letters (fullwidth, mathematical or similar); use plain letters"
	}
	return ""
}

// nameWarning is what the consent page tells the user about a client name
// that may imitate another, or "".
func nameWarning(name string) string {
	scripts := scriptsOf(name)
	switch {
	case mixesScripts(scripts):
		return fmt.Sprintf("This name mixes letters from different alphabets (%s). Letters from another alphabet can look exactly like the real ones, so the name may imitate another app's.",
			strings.Join(scripts, " and "))
	case stylised(name):
		return "This name uses stylised look-alike letters (fullwidth, mathematical or similar), so it may imitate another app's name."
	case len(scripts) == 1 && scripts[0] != "Latin" && allLatinLookalikes(name):
		return fmt.Sprintf("This name is written in %s letters that look like Latin ones, so it may imitate another app's name.", scripts[0])
	}
	return ""
}

// allLatinLookalikes reports whether every letter of s is drawn like a
// Latin letter without being one.
func allLatinLookalikes(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !strings.ContainsRune(latinLookalikes, r) {
			return false
		}
	}
	return true
}
