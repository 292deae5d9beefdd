package logging

import "math/bits"

// Limits of a number worth classifying: E.164 allows 15 digits (plus a
// two-digit 00 prefix), card numbers 19.
const (
	maxNumberDigits = 19
	maxNumberGroups = 8
)

// Separators between digit groups, as a bit set.
const (
	sepSpace uint8 = 1 << iota
	sepDash
	sepDot
	sepSlash
)

// digitGroup is one group of digits in a run: s[start:end], optionally in
// parentheses, with the separator that precedes it (0 for none).
type digitGroup struct {
	start, end int
	sep        byte
	paren      bool
}

// redactNumbers masks phone and card numbers. It reads maximal digit runs
// (digit groups joined by single spaces, dashes, dots or slashes, with an
// optional leading '+' and parenthesised groups) and classifies whole
// numbers, never fragments: a UUID, an IP address, a date or a 20-digit id
// is one number that matches nothing. A space is the only separator that
// may also sit between two numbers, so the candidates are the stretches of
// the run between spaces ("4111 1111 1111 1111 12/25 123" holds a card
// followed by an expiry date and a code).
func redactNumbers(s string) string {
	w := rewriter{src: s}
	var buf [16]digitGroup
	for i := 0; i < len(s); {
		if c := s[i]; !isDigit(c) && c != '+' && c != '(' {
			i++
			continue
		}
		if i > 0 && i != w.last && isDigit(s[i]) && (isAlnum(s[i-1]) || s[i-1] == '_') {
			// Digits glued to a word (hex ids, "v2", "user42") start no
			// number; a number after the next space is still found.
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			continue
		}
		run, ok := parseDigitRun(s, i, buf[:0])
		if !ok {
			i++
			continue
		}
		run.redact(&w, boundaryBeforeNumber(s, i, w.last), boundaryAfterNumber(s, run.end))
		i = run.end
	}
	return w.result()
}

// boundaryBeforeNumber rejects runs glued to a word, path, version,
// negative sign or email: "v1.5551234567", "id_0612345678", "/users/...".
func boundaryBeforeNumber(s string, i, last int) bool {
	if i == 0 || i == last {
		return true
	}
	c := s[i-1]
	return !isAlnum(c) && c != '_' && c != '-' && c != '.' && c != '/' && c != '+' && c != '@' && c != '\\'
}

// boundaryAfterNumber rejects runs followed by a unit or word ("1500ms",
// "5551234567abc", "0612345678.json"); sentence punctuation is fine.
func boundaryAfterNumber(s string, end int) bool {
	if end >= len(s) {
		return true
	}
	c := s[end]
	if isAlnum(c) || c == '_' || c == '@' {
		return false
	}
	if (c == '-' || c == '.' || c == '/' || c == '+') && end+1 < len(s) && isAlnum(s[end+1]) {
		return false
	}
	return true
}

type digitRun struct {
	src    string
	start  int
	end    int
	plus   bool
	groups []digitGroup
}

// parseDigitRun reads the maximal run starting at i, which holds a digit,
// '+' or '('. It reports false if no digit group starts there.
func parseDigitRun(s string, i int, buf []digitGroup) (digitRun, bool) {
	r := digitRun{src: s, start: i, groups: buf}
	p := i
	if s[p] == '+' {
		r.plus = true
		p++
	}
	var sep byte
	for {
		open := p < len(s) && s[p] == '('
		q := p
		if open {
			q++
		}
		start := q
		for q < len(s) && isDigit(s[q]) {
			q++
		}
		if q == start || open && (q >= len(s) || s[q] != ')') {
			break
		}
		r.groups = append(r.groups, digitGroup{start: start, end: q, sep: sep, paren: open})
		if open {
			q++
		}
		r.end, p = q, q
		if open && p < len(s) && isDigit(s[p]) { // "(555)123-4567"
			sep = 0
			continue
		}
		if p+1 >= len(s) || separatorBit(s[p]) == 0 {
			break
		}
		sep = s[p]
		next := s[p+1]
		if open && sep != ' ' && sep != '-' {
			break
		}
		if !isDigit(next) && !(sep == ' ' && next == '(') {
			break
		}
		p++
	}
	return r, len(r.groups) > 0
}

func separatorBit(c byte) uint8 {
	switch c {
	case ' ':
		return sepSpace
	case '-':
		return sepDash
	case '.':
		return sepDot
	case '/':
		return sepSlash
	}
	return 0
}

// redact masks, from left to right, the longest space-delimited stretch of
// the run that is a phone or card number. The run's own edges count only
// when its boundaries are clean; a stretch inside it is bounded by spaces.
func (r *digitRun) redact(w *rewriter, cleanStart, cleanEnd bool) {
	g := r.groups
	for a := 0; a < len(g); a++ {
		if a == 0 && !cleanStart || a > 0 && g[a].sep != ' ' {
			continue
		}
		// digits[k] counts the digits of groups [a, a+k+1): stretches
		// shorter than any phone number or longer than any card are not
		// worth classifying.
		var digits [maxNumberGroups]int
		last := min(len(g), a+maxNumberGroups)
		for b, sum := a, 0; b < last; b++ {
			sum += g[b].end - g[b].start
			digits[b-a] = sum
		}
		for b := last; b > a; b-- {
			if n := digits[b-a-1]; n < 7 || n > maxNumberDigits {
				continue
			}
			if b == len(g) && !cleanEnd || b < len(g) && g[b].sep != ' ' {
				continue
			}
			mask := r.classify(a, b)
			if mask == "" {
				continue
			}
			start, end := g[a].start, g[b-1].end
			if a == 0 && r.plus {
				start = r.start
			} else if g[a].paren {
				start--
			}
			if g[b-1].paren {
				end++
			}
			w.replace(start, end, mask)
			a = b - 1
			break
		}
	}
}

// number is the shape of one candidate: its digits, group lengths and
// separators.
type number struct {
	plus       bool
	parenFirst bool // "(555) 123-4567"
	parenLater bool // "+49 (0) 30 ..."
	seps       uint8
	ngroups    int
	groups     [maxNumberGroups]int
	ndigits    int
	digits     [maxNumberDigits]byte
}

// classify returns the mask for groups [a, b) of the run, or "".
func (r *digitRun) classify(a, b int) string {
	var n number
	n.plus = a == 0 && r.plus
	for k, g := range r.groups[a:b] {
		l := g.end - g.start
		if n.ndigits+l > maxNumberDigits {
			return ""
		}
		copy(n.digits[n.ndigits:], r.src[g.start:g.end])
		n.ndigits += l
		n.groups[n.ngroups] = l
		n.ngroups++
		if k == 0 {
			n.parenFirst = g.paren
			continue
		}
		n.parenLater = n.parenLater || g.paren
		n.seps |= separatorBit(g.sep)
	}
	switch {
	case n.isInternationalPhone():
		return maskPhone
	case n.isCard():
		return maskCard
	case n.isNationalPhone():
		return maskPhone
	}
	return ""
}

// isInternationalPhone: '+' and 7-15 digits, grouped in any way.
func (n *number) isInternationalPhone() bool {
	return n.plus && n.ndigits >= 7 && n.ndigits <= 15 && n.digits[0] != '0'
}

// isCard: 13-19 digits, first digit 2-6, Luhn-valid, written as one block
// or in groups of at least three separated by one kind of space or dash.
func (n *number) isCard() bool {
	if n.plus || n.parenFirst || n.parenLater || n.seps&^(sepSpace|sepDash) != 0 || bits.OnesCount8(n.seps) > 1 {
		return false
	}
	if n.ngroups > 1 {
		for _, g := range n.groups[:n.ngroups] {
			if g < 3 {
				return false
			}
		}
	}
	return isCardDigits(n.digits[:n.ndigits])
}

func isCardDigits(d []byte) bool {
	return len(d) >= 13 && len(d) <= 19 && d[0] >= '2' && d[0] <= '6' && luhnValid(d)
}

func luhnValid(d []byte) bool {
	sum := 0
	for i, double := len(d)-1, false; i >= 0; i, double = i-1, !double {
		v := int(d[i] - '0')
		if v > 9 {
			return false
		}
		if double {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// isNationalPhone recognises numbers written without a country code.
func (n *number) isNationalPhone() bool {
	if n.plus || n.parenLater {
		return false
	}
	d, g := n.digits[:n.ndigits], n.groups[:n.ngroups]
	if n.parenFirst {
		return len(d) >= 9 && len(d) <= 12 // (555) 123-4567, (020) 7946 0958
	}
	switch {
	case groupsAre(g, 3, 3, 4): // 555-123-4567, 555.123.4567
		return true
	case groupsAre(g, 1, 3, 3, 4): // 1 555 123 4567
		return d[0] == '1'
	case groupsAre(g, 3, 4): // 555-1234
		return n.seps == sepDash
	}
	if d[0] != '0' {
		return false
	}
	if len(g) == 1 { // 0612345678, but not a zero-padded 0000012345
		return len(d) >= 10 && len(d) <= 11 && d[1] != '0'
	}
	if bits.OnesCount8(n.seps) != 1 {
		return false // 01.06.2024 12:00 mixes separators
	}
	for _, l := range g {
		if l < 2 {
			return false
		}
	}
	if d[1] == '0' { // international prefix: 0044 20 7946 0958
		return g[0] >= 4 && g[0] <= 6 && len(d) >= 11 && len(d) <= 17
	}
	return g[0] >= 2 && g[0] <= 5 && len(d) >= 9 && len(d) <= 12 // 020 7946 0958, 06 12 34 56 78
}

func groupsAre(g []int, want ...int) bool {
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

// isCardInteger applies the card rule to an integer attribute, so that a
// card number logged as a number is masked like one logged as text.
func isCardInteger(u uint64) bool {
	if u < 1e12 {
		return false
	}
	var buf [20]byte
	i := len(buf)
	for u > 0 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	return isCardDigits(buf[i:])
}
