package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Warn Status = "WARN"
	Skip Status = "SKIP"
)

// Check is one printed line of the report: what was checked, what was seen
// and, unless it passed, what to do about it.
type Check struct {
	ID     string // stable name tests and docs refer to, e.g. "prm.resource"
	Status Status
	Detail string // what the doctor saw
	Fix    string // the exact fix; empty on PASS
}

// Report is every check of one run, in order.
type Report struct {
	URL    string
	Checks []Check
}

// Failed reports whether any check failed; the command exits non-zero then.
func (r Report) Failed() bool { return r.Count(Fail) > 0 }

// Count is the number of checks with status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Find returns the first check with the given id.
func (r Report) Find(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// idWidth aligns the detail column; ids longer than this still print whole.
const idWidth = 18

// printer writes checks as they complete, so a slow step shows where it is.
type printer struct {
	w     io.Writer
	color bool
	err   error
}

var statusColor = map[Status]string{Pass: "\x1b[32m", Fail: "\x1b[31m", Warn: "\x1b[33m", Skip: "\x1b[2m"}

func (p *printer) check(c Check) {
	status := string(c.Status)
	if p.color {
		status = statusColor[c.Status] + status + "\x1b[0m"
	}
	indent := strings.Repeat(" ", len("PASS")+2+idWidth+2)
	p.printf("%s  %-*s  %s\n", status, idWidth, c.ID, oneLine(c.Detail))
	if c.Fix != "" {
		p.printf("%sfix: %s\n", indent, oneLine(c.Fix))
	}
}

func (p *printer) summary(r Report) {
	p.printf("\n%d passed, %d failed, %d warnings, %d skipped\n", r.Count(Pass), r.Count(Fail), r.Count(Warn), r.Count(Skip))
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

// oneLine keeps a server-supplied string from breaking the layout or
// writing terminal control sequences: the doctor prints what remote
// servers send.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}
