package logging

import "strings"

// redactEmails masks local@domain.tld. The local part is the run of
// atext-like bytes before '@' (UTF-8 bytes included, so a non-Latin name is
// masked whole); the domain must have a dot and end in a label that starts
// with two letters, which leaves "npm@1.2.3", "git@host" and "a@b" alone.
func redactEmails(s string) string {
	w := rewriter{src: s}
	for i := 0; i < len(s); {
		at := strings.IndexByte(s[i:], '@')
		if at < 0 {
			break
		}
		at += i
		start := at
		for start > w.last && isEmailLocalByte(s[start-1]) {
			start--
		}
		end := emailDomainEnd(s, at+1)
		if start == at || end < 0 {
			i = at + 1
			continue
		}
		w.replace(start, end, maskEmail)
		i = end
	}
	return w.result()
}

func isEmailLocalByte(c byte) bool {
	return isAlnum(c) || c >= 0x80 || strings.IndexByte("._%+-", c) >= 0
}

func isDomainByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c >= 0x80
}

// emailDomainEnd returns where the domain starting at p ends, or -1. The
// end is placed after the leading letters of the last label that has at
// least two of them, so "a@example.com." and "a@example.com5" both end
// after "com" and the end always falls on an ASCII byte.
func emailDomainEnd(s string, p int) int {
	if p >= len(s) || s[p] == '.' || s[p] == '-' || !isDomainByte(s[p]) {
		return -1
	}
	end := -1
	for q := p; q < len(s) && isDomainByte(s[q]); q++ {
		if s[q] != '.' || q == p {
			continue
		}
		letters := q + 1
		for letters < len(s) && isAlpha(s[letters]) {
			letters++
		}
		if letters-q-1 >= 2 {
			end = letters
		}
	}
	return end
}
