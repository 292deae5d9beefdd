package forkdrill_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// step is one fenced code block of README's Fork it section whose info
// string says what to do with it:
//
//	```go file=PATH                  the block is the new file PATH
//	```go file=PATH after="TEXT"     inserted after the one line of PATH containing TEXT
//	```go file=PATH replace="TEXT"   replaces the one line of PATH containing TEXT
//	```sh run                        commands run in the repository with sh -e
//
// Blocks with none of these are prose for the reader.
type step struct {
	line           int // of the opening fence in README.md
	file           string
	after, replace string
	run            bool
	body           string
}

func (s step) String() string {
	if s.run {
		return fmt.Sprintf("README.md:%d (run)", s.line)
	}
	return fmt.Sprintf("README.md:%d (%s)", s.line, s.file)
}

// forkSteps reads the steps of README.md's "## Fork it" section.
func forkSteps(t *testing.T, root string) []step {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	in := false
	var steps []step
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			in = l == "## Fork it"
			continue
		}
		if !in || !strings.HasPrefix(l, "```") || strings.TrimSpace(l) == "```" {
			continue
		}
		attrs, err := infoAttributes(strings.TrimPrefix(l, "```"))
		if err != nil {
			t.Fatalf("README.md:%d: %v", i+1, err)
		}
		s := step{line: i + 1, file: attrs["file"], after: attrs["after"], replace: attrs["replace"]}
		_, s.run = attrs["run"]
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("README.md:%d: the block never closes", s.line)
		}
		s.body = strings.Join(body, "\n") + "\n"
		if s.file == "" && !s.run {
			continue
		}
		if s.after != "" && s.replace != "" {
			t.Fatalf("%s: both after= and replace=", s)
		}
		steps = append(steps, s)
	}
	return steps
}

// infoAttributes parses a fence's info string: a language, then bare words
// and key=value pairs, a value with spaces in Go's double-quoted syntax.
func infoAttributes(info string) (map[string]string, error) {
	out := map[string]string{}
	fields := strings.TrimSpace(info)
	if i := strings.IndexByte(fields, ' '); i >= 0 {
		fields = fields[i+1:] // the language
	} else {
		return out, nil
	}
	for fields = strings.TrimSpace(fields); fields != ""; fields = strings.TrimSpace(fields) {
		end := strings.IndexAny(fields, " =")
		if end < 0 || fields[end] == ' ' {
			if end < 0 {
				end = len(fields)
			}
			out[fields[:end]] = ""
			fields = fields[end:]
			continue
		}
		key, rest := fields[:end], fields[end+1:]
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("%s=: %w", key, err)
			}
			v, _ := strconv.Unquote(q)
			out[key], fields = v, rest[len(q):]
			continue
		}
		end = strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		out[key], fields = rest[:end], rest[end:]
	}
	return out, nil
}

// apply returns content (nil: no such file yet) with s applied.
func (s step) apply(content *string) (string, error) {
	if s.after == "" && s.replace == "" {
		if content != nil {
			return "", fmt.Errorf("%s: %s already exists; the step creates it", s, s.file)
		}
		return s.body, nil
	}
	if content == nil {
		return "", fmt.Errorf("%s: %s does not exist", s, s.file)
	}
	anchor := s.after + s.replace
	lines := strings.SplitAfter(*content, "\n")
	at := -1
	for i, l := range lines {
		if strings.Contains(l, anchor) {
			if at >= 0 {
				return "", fmt.Errorf("%s: %q is on more than one line of %s", s, anchor, s.file)
			}
			at = i
		}
	}
	if at < 0 {
		return "", fmt.Errorf("%s: no line of %s contains %q", s, s.file, anchor)
	}
	if s.replace != "" {
		lines[at] = s.body
	} else {
		lines[at] += s.body
	}
	return strings.Join(lines, ""), nil
}
