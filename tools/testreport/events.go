package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output events name the package being built
}

// line is one line of a package's output, attributed to a test or, with
// test "", to the package itself.
type line struct {
	test, text string
}

// pkgState collects a package's output until its result is known: plain
// `go test` prints a passing package's summary line only, and a failing
// package's output in full.
type pkgState struct {
	lines  []line
	result map[string]string // test -> pass, fail or skip
}

// skip is a test that skipped, with the message it gave.
type skip struct {
	pkg, test, reason string
}

type report struct {
	out      io.Writer
	packages map[string]*pkgState
	skips    []skip
	failed   []string // packages, in the order they finished
}

// readEvents copies the human output to out as each package finishes and
// returns what it saw. Lines that are not JSON (go command errors when
// stderr is merged in) are copied unchanged.
func readEvents(in io.Reader, out io.Writer) (*report, error) {
	r := &report{out: out, packages: map[string]*pkgState{}}
	br := bufio.NewReader(in)
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			if perr := r.handle(raw); perr != nil {
				return nil, perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read go test output: %w", err)
		}
	}
	// A package with no result (go test was killed): show all of it.
	for name, p := range r.packages {
		if err := r.printPackage(p, "fail"); err != nil {
			return nil, err
		}
		r.failed = append(r.failed, name)
	}
	if len(r.failed) > 0 {
		// Plain go test ends a failed run with this line too.
		if _, err := io.WriteString(out, "FAIL\n"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *report) handle(raw []byte) error {
	var e event
	if !bytes.HasPrefix(raw, []byte("{")) || json.Unmarshal(raw, &e) != nil || e.Action == "" {
		_, err := r.out.Write(raw)
		return err
	}
	switch e.Action {
	case "build-output":
		_, err := io.WriteString(r.out, e.Output)
		return err
	case "build-fail":
		r.failed = append(r.failed, e.ImportPath)
		return nil
	}
	p := r.packages[e.Package]
	if p == nil {
		p = &pkgState{result: map[string]string{}}
		r.packages[e.Package] = p
	}
	switch e.Action {
	case "output":
		p.lines = append(p.lines, line{test: e.Test, text: e.Output})
	case "pass", "fail", "skip":
		if e.Test != "" {
			p.result[e.Test] = e.Action
			if e.Action == "skip" {
				r.skips = append(r.skips, skip{pkg: e.Package, test: e.Test, reason: skipReason(p, e.Test)})
			}
			return nil
		}
		delete(r.packages, e.Package)
		if e.Action == "fail" {
			r.failed = append(r.failed, e.Package)
		}
		return r.printPackage(p, e.Action)
	}
	return nil
}

// framing is what only verbose output has: test2json runs the test binary
// verbosely, plain `go test` without -v prints none of it.
var framing = regexp.MustCompile(`^(=== (RUN|PAUSE|CONT|NAME)|\s*--- (PASS|SKIP): )`)

// failHeader is a test's "--- FAIL: TestX (0.00s)" line.
var failHeader = regexp.MustCompile(`^\s*--- FAIL: `)

func (r *report) printPackage(p *pkgState, result string) error {
	var b strings.Builder
	if result != "fail" {
		// A passing package: its closing line only ("ok  \tpkg\t1.2s",
		// "?   \tpkg\t[no test files]").
		for _, l := range p.lines {
			if l.test == "" && (strings.HasPrefix(l.text, "ok  ") || strings.HasPrefix(l.text, "?   ")) {
				b.WriteString(l.text)
			}
		}
	} else {
		p.printFailed(&b)
	}
	_, err := io.WriteString(r.out, b.String())
	return err
}

// printFailed writes a failing package's output as plain go test does:
// the package's own lines in order and, where each failing top-level test
// began, its "--- FAIL" line, its log and its failing subtests, nested.
func (p *pkgState) printFailed(b *strings.Builder) {
	printed := map[string]bool{}
	for _, l := range p.lines {
		top, _, _ := strings.Cut(l.test, "/")
		switch {
		case l.test == "":
			b.WriteString(l.text)
		case !printed[top]:
			printed[top] = true
			p.printTest(b, top)
		}
	}
}

func (p *pkgState) printTest(b *strings.Builder, test string) {
	if r := p.result[test]; r == "pass" || r == "skip" {
		return
	}
	// Every failing descendant, in the order it began: a subtest's name may
	// itself hold a slash (t.Run("direct/2026-07-28", ...)), so descendants
	// are found by prefix, never by counting levels, or their output would
	// be lost.
	var descendants []string
	seen := map[string]bool{}
	for _, l := range p.lines {
		if strings.HasPrefix(l.test, test+"/") && !seen[l.test] {
			seen[l.test] = true
			descendants = append(descendants, l.test)
		}
	}
	p.printOwnLines(b, test, "")
	for _, d := range descendants {
		if r := p.result[d]; r == "pass" || r == "skip" {
			continue
		}
		// test2json undoes the nesting of a subtest's lines; plain go test
		// indents them four spaces a level.
		p.printOwnLines(b, d, strings.Repeat("    ", p.depth(d)))
	}
}

// depth is how many tests test is nested in: its prefixes up to a slash
// that are tests themselves ("TestX/direct/2026-07-28" is one level deep
// when "TestX/direct" never ran).
func (p *pkgState) depth(test string) int {
	n := 0
	for i := range len(test) {
		if test[i] == '/' {
			if _, ok := p.result[test[:i]]; ok {
				n++
			}
		}
	}
	return n
}

// printOwnLines writes test's "--- FAIL" line, then its log.
func (p *pkgState) printOwnLines(b *strings.Builder, test, indent string) {
	for _, l := range p.lines {
		if l.test == test && failHeader.MatchString(l.text) {
			b.WriteString(indent + l.text)
		}
	}
	for _, l := range p.lines {
		if l.test == test && !framing.MatchString(l.text) && !failHeader.MatchString(l.text) {
			b.WriteString(indent + l.text)
		}
	}
}

// skipLocation is the file:line prefix testing puts before a log message.
var skipLocation = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: ?`)

// skipReason is what the test logged before it skipped, without framing
// and file:line prefixes.
func skipReason(p *pkgState, test string) string {
	var parts []string
	for _, l := range p.lines {
		if l.test != test || framing.MatchString(l.text) {
			continue
		}
		if s := strings.TrimSpace(skipLocation.ReplaceAllString(l.text, "")); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, "; ")
}
