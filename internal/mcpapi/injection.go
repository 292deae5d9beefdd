package mcpapi

import (
	"regexp"
	"slices"
	"unicode"
)

// Injection flags are a tripwire, not a defence. A pattern list can never
// recognise every instruction an attacker can phrase, so nothing here blocks
// or alters a write: a user may legitimately write "ignore previous
// instructions" in a note. The defences are structural: user text reaches
// the model only as delimited data (results.go), the user id comes only from
// the token, write tools need the write scope and host confirmation, and
// permanent deletion needs a token the model never sees (purge.go). Flags
// exist so an operator can see an attack being tried: each one is an audit
// event ("content.flagged", outcome "flagged") and a metric.

type injectionPattern struct {
	kind string
	re   *regexp.Regexp
}

// injectionPatterns is built per service (no package state); the kinds are
// the metric label values, so they are few and fixed.
func injectionPatterns() []injectionPattern {
	return []injectionPattern{
		{"instruction_override", regexp.MustCompile(`(?is)\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(previous|prior|above|earlier|all|any|your|system)\b.{0,40}\b(instruction|instructions|prompt|prompts|rules|guidelines|messages|directives)\b`)},
		{"role_marker", regexp.MustCompile(`(?im)(^\s*(system|assistant|developer)\s*:)|<\|?\s*(im_start|im_end|system|endoftext)\s*\|?>|\[/?INST\]|<<\s*SYS\s*>>|^#{1,6}\s*(system|instructions?)\b`)},
		{"tool_call_markup", regexp.MustCompile(`(?i)"(tool_calls?|function_call|tool_use|arguments)"\s*:|<\s*/?\s*(tool_call|function_call|function_calls|invoke|parameter)\b|\b(call|invoke|run|use)\s+(the\s+)?(purge_task|delete_task|complete_tasks|update_task|create_tasks)\b`)},
		{"html_script", regexp.MustCompile(`(?i)<\s*(script|iframe|img|svg|object|embed|style|link|meta|form|a)\b|javascript\s*:|\bon[a-z]+\s*=\s*["']?`)},
		{"markdown_link", regexp.MustCompile(`(?i)!\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\(\s*(https?|data|javascript|file):`)},
		{"exfiltration", regexp.MustCompile(`(?i)\b(send|post|forward|upload|exfiltrate|email|leak)\b.{0,60}(https?://|\b[\w.+-]+@[\w-]+\.[\w.]+)`)},
		{"homoglyph_url", regexp.MustCompile(`(?i)\b(https?://|www\.)[^\s/]*(xn--|[^\x00-\x7f])`)},
		{"sql_metachar", regexp.MustCompile(`(?i)(;\s*(drop|delete|truncate|alter|insert|update|grant)\s)|('\s*or\s+'?\d+'?\s*=\s*'?\d+)|(\bunion\s+(all\s+)?select\b)|(--\s*$)`)},
	}
}

// scanText returns the kinds of suspicious pattern found in raw (the text as
// the caller sent it, before cleaning, so invisible characters are seen).
func scanText(patterns []injectionPattern, raw string) []string {
	var kinds []string
	if hasInvisible(raw) {
		kinds = append(kinds, "invisible_chars")
	}
	for _, p := range patterns {
		if p.re.MatchString(raw) {
			kinds = append(kinds, p.kind)
		}
	}
	return kinds
}

// hasInvisible reports control characters other than newline and tab,
// format characters (zero-width, bidi overrides and isolates, tag
// characters) and NUL, which task.CleanText strips.
func hasInvisible(s string) bool {
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\uFFFD' {
			return true
		}
	}
	return false
}

// mergeKinds adds kinds to have, sorted and without duplicates.
func mergeKinds(have []string, kinds ...string) []string {
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			have = append(have, k)
		}
	}
	slices.Sort(have)
	return have
}
