package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Markers delimit the generated configuration reference in docs/configuration.md.
const (
	ReferenceBegin = "<!-- config:begin -->"
	ReferenceEnd   = "<!-- config:end -->"
)

// Reference renders every variable of Vars as a Markdown table: the
// configuration reference, generated from the one declaration so the
// documentation cannot drift from the code.
func Reference() string {
	var b strings.Builder
	b.WriteString("| variable | default | secret | meaning |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, v := range Vars() {
		def := "(unset)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		secret := ""
		if v.Secret {
			secret = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, def, secret, markdownCell(v.Help))
	}
	return b.String()
}

// markdownCell keeps help text inside one table cell.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// SpliceReference returns doc with the text between ReferenceBegin and
// ReferenceEnd replaced by Reference(). Both markers must appear once, in
// that order.
func SpliceReference(doc []byte) ([]byte, error) {
	begin, end := []byte(ReferenceBegin), []byte(ReferenceEnd)
	if bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1 {
		return nil, fmt.Errorf("the document needs exactly one %s and one %s line", ReferenceBegin, ReferenceEnd)
	}
	i, j := bytes.Index(doc, begin)+len(begin), bytes.Index(doc, end)
	if i > j {
		return nil, errors.New(ReferenceEnd + " comes before " + ReferenceBegin)
	}
	var out bytes.Buffer
	out.Write(doc[:i])
	out.WriteString("\n" + Reference())
	out.Write(doc[j:])
	return out.Bytes(), nil
}
