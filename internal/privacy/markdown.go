package privacy

import (
	"fmt"
	"html/template"
	"strings"
	"unicode"
)

// RenderMarkdown turns the small Markdown subset PRIVACY.md uses into HTML
// for the /privacy page (D9): ATX headings, paragraphs, "-" and "1." lists,
// pipe tables, `code`, **bold** and [links](url). It is our own on purpose:
// a few dozen lines with one rule -- every piece of source text goes
// through HTML escaping, and the only markup in the output is the fixed
// tags this function writes -- instead of a general renderer whose raw-HTML
// and URL handling we would have to trust. Links keep only http(s),
// mailto, absolute-path and fragment targets; anything else (javascript:,
// data:) renders as plain text.
func RenderMarkdown(src []byte) (template.HTML, error) {
	if !isText(src) {
		return "", fmt.Errorf("policy is not UTF-8 text")
	}
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := strings.TrimRight(lines[i], " \t")
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case headingLevel(line) > 0:
			n := headingLevel(line)
			text := strings.TrimSpace(line[n:])
			fmt.Fprintf(&b, "<h%d id=\"%s\">%s</h%d>\n", n, slug(text), inline(text), n)
			i++
		case strings.HasPrefix(line, "|"):
			i = renderTable(&b, lines, i)
		case listItem(line, false) != "" || listItem(line, true) != "":
			i = renderList(&b, lines, i)
		default:
			var para []string
			for i < len(lines) && isParagraphLine(lines[i]) {
				para = append(para, strings.TrimSpace(lines[i]))
				i++
			}
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
		}
	}
	// Every tag above is fixed and every text went through inline(), which
	// escapes; that is what makes this conversion safe.
	return template.HTML(b.String()), nil // #nosec G203 -- escaped above
}

func isText(b []byte) bool {
	return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) && !strings.ContainsRune(string(b), 0)
}

func headingLevel(line string) int {
	n := 0
	for n < len(line) && n < 5 && line[n] == '#' {
		n++
	}
	if n == 0 || n > 4 || len(line) <= n || line[n] != ' ' {
		return 0
	}
	return n
}

func isParagraphLine(l string) bool {
	t := strings.TrimRight(l, " \t")
	return strings.TrimSpace(t) != "" && headingLevel(t) == 0 && !strings.HasPrefix(t, "|") &&
		listItem(t, false) == "" && listItem(t, true) == ""
}

// listItem returns the text of a list item line ("- x" or "1. x"), or "".
func listItem(line string, ordered bool) string {
	if !ordered {
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			return strings.TrimSpace(rest) + " "
		}
		return ""
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i == 0 || i > 3 || !strings.HasPrefix(line[i:], ". ") {
		return ""
	}
	return strings.TrimSpace(line[i+2:]) + " "
}

func renderList(b *strings.Builder, lines []string, i int) int {
	ordered := listItem(strings.TrimRight(lines[i], " \t"), false) == ""
	tag := "ul"
	if ordered {
		tag = "ol"
	}
	b.WriteString("<" + tag + ">\n")
	for i < len(lines) {
		item := listItem(strings.TrimRight(lines[i], " \t"), ordered)
		if item == "" {
			break
		}
		i++
		// Indented lines continue the item.
		for i < len(lines) && strings.HasPrefix(lines[i], "  ") && strings.TrimSpace(lines[i]) != "" {
			item += strings.TrimSpace(lines[i]) + " "
			i++
		}
		b.WriteString("<li>" + inline(strings.TrimSpace(item)) + "</li>\n")
	}
	b.WriteString("</" + tag + ">\n")
	return i
}

func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	cells := strings.Split(line, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

func isSeparatorRow(line string) bool {
	for _, c := range tableCells(line) {
		if strings.Trim(c, "-: ") != "" || !strings.Contains(c, "-") {
			return false
		}
	}
	return true
}

func renderTable(b *strings.Builder, lines []string, i int) int {
	b.WriteString("<table>\n")
	header := tableCells(lines[i])
	i++
	if i < len(lines) && isSeparatorRow(lines[i]) {
		i++
		b.WriteString("<thead><tr>")
		for _, c := range header {
			b.WriteString("<th scope=\"col\">" + inline(c) + "</th>")
		}
		b.WriteString("</tr></thead>\n")
	} else {
		i-- // no separator: the first row is an ordinary row
	}
	b.WriteString("<tbody>\n")
	for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
		b.WriteString("<tr>")
		for _, c := range tableCells(lines[i]) {
			b.WriteString("<td>" + inline(c) + "</td>")
		}
		b.WriteString("</tr>\n")
		i++
	}
	b.WriteString("</tbody>\n</table>\n")
	return i
}

// inline renders `code`, **bold** and [text](url) in s; all text is
// escaped.
func inline(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '`':
			if end := strings.IndexByte(s[1:], '`'); end >= 0 {
				b.WriteString("<code>" + template.HTMLEscapeString(s[1:1+end]) + "</code>")
				s = s[end+2:]
				continue
			}
		case strings.HasPrefix(s, "**"):
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString("<strong>" + inline(s[2:2+end]) + "</strong>")
				s = s[end+4:]
				continue
			}
		case s[0] == '[':
			if text, target, rest, ok := cutLink(s); ok {
				if safeLinkTarget(target) {
					b.WriteString(`<a href="` + template.HTMLEscapeString(target) + `">` + inline(text) + "</a>")
				} else {
					b.WriteString(inline(text))
				}
				s = rest
				continue
			}
		}
		// Plain text up to the next character that may start markup.
		n := strings.IndexAny(s[1:], "`*[")
		if n < 0 {
			n = len(s) - 1
		}
		b.WriteString(template.HTMLEscapeString(s[:n+1]))
		s = s[n+1:]
	}
	return b.String()
}

// cutLink splits "[text](target)rest".
func cutLink(s string) (text, target, rest string, ok bool) {
	mid := strings.Index(s, "](")
	if mid < 0 {
		return "", "", "", false
	}
	end := strings.IndexByte(s[mid+2:], ')')
	if end < 0 {
		return "", "", "", false
	}
	text, target = s[1:mid], s[mid+2:mid+2+end]
	if strings.ContainsAny(text, "[]") || strings.ContainsFunc(target, unicode.IsSpace) {
		return "", "", "", false
	}
	return text, target, s[mid+3+end:], true
}

func safeLinkTarget(t string) bool {
	l := strings.ToLower(t)
	switch {
	case strings.HasPrefix(l, "https://"), strings.HasPrefix(l, "http://"), strings.HasPrefix(l, "mailto:"):
		return true
	case strings.HasPrefix(t, "#"):
		return true
	case strings.HasPrefix(t, "/") && !strings.HasPrefix(t, "//") && !strings.Contains(t, `\`):
		return true
	}
	return false
}

// slug makes a heading's id: lower-case letters and digits joined by "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
