package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// allowEntry is one line of the allow-list:
//
//	<stage> <package> <test>  # why CI may skip it
//
// stage is a stage name or *, package is the import path or its suffix
// after the module path (dev/faults), test a test name in which *
// matches within one name segment (TestX/*: every subtest of TestX). The
// reason is required: the file is the documentation of every skip.
type allowEntry struct {
	stage, pkg, test, reason string
}

func loadAllowList(name string) ([]allowEntry, error) {
	f, err := os.Open(name) // #nosec G304 -- the path is the -allow flag the Makefile passes, a file of this repository
	if err != nil {
		return nil, fmt.Errorf("allow-list: %w", err)
	}
	defer f.Close()
	return parseAllowList(f, name)
}

func parseAllowList(r io.Reader, name string) ([]allowEntry, error) {
	var entries []allowEntry
	var problems []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		text, reason, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue // blank or a comment line
		}
		reason = strings.TrimSpace(reason)
		if len(fields) != 3 || reason == "" {
			problems = append(problems, fmt.Errorf("%s:%d: want `<stage> <package> <test>  # reason`, got %q", name, n, sc.Text()))
			continue
		}
		if _, err := path.Match(fields[2], ""); err != nil {
			problems = append(problems, fmt.Errorf("%s:%d: test pattern %q: %w", name, n, fields[2], err))
			continue
		}
		entries = append(entries, allowEntry{stage: fields[0], pkg: fields[1], test: fields[2], reason: reason})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return entries, errors.Join(problems...)
}

func (a allowEntry) allows(stage string, s skip) bool {
	if a.stage != "*" && a.stage != stage {
		return false
	}
	if s.pkg != a.pkg && !strings.HasSuffix(s.pkg, "/"+a.pkg) {
		return false
	}
	ok, _ := path.Match(a.test, s.test) // the pattern was checked when parsed
	return ok
}

// printSkips lists every skipped test with its reason, marking those the
// allow-list does not accept for stage, and returns how many those are.
func (r *report) printSkips(out io.Writer, allowed []allowEntry, stage string) int {
	sort.Slice(r.skips, func(i, j int) bool {
		if r.skips[i].pkg != r.skips[j].pkg {
			return r.skips[i].pkg < r.skips[j].pkg
		}
		return r.skips[i].test < r.skips[j].test
	})
	if len(r.skips) == 0 {
		fmt.Fprintf(out, "%s: no test skipped\n", stage)
		return 0
	}
	fmt.Fprintf(out, "%s: %d skipped test(s):\n", stage, len(r.skips))
	disallowed := 0
	for _, s := range r.skips {
		mark := "allowed"
		if !isAllowed(allowed, stage, s) {
			mark, disallowed = "NOT ON THE ALLOW-LIST", disallowed+1
		}
		fmt.Fprintf(out, "  SKIP %s %s: %s [%s]\n", s.pkg, s.test, s.reason, mark)
	}
	return disallowed
}

func isAllowed(allowed []allowEntry, stage string, s skip) bool {
	for _, a := range allowed {
		if a.allows(stage, s) {
			return true
		}
	}
	return false
}
