package config_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/config"
)

// TestConfigReferenceUpToDate fails when a variable is added, removed or
// reworded in the code without regenerating docs/configuration.md.
func TestConfigReferenceUpToDate(t *testing.T) {
	readme, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.SpliceReference(readme)
	if err != nil {
		t.Fatalf("docs/configuration.md: %v", err)
	}
	if !bytes.Equal(readme, want) {
		t.Fatal("docs/configuration.md's table differs from the variables in internal/config: run `make docs`")
	}
}

func TestReferenceListsEveryVariable(t *testing.T) {
	ref := config.Reference()
	for _, v := range config.Vars() {
		if !strings.Contains(ref, "| `"+v.Name+"` |") {
			t.Errorf("%s missing from the reference", v.Name)
		}
		if v.Help == "" {
			t.Errorf("%s has no help text", v.Name)
		}
	}
	if got, want := strings.Count(ref, "\n"), len(config.Vars())+2; got != want {
		t.Errorf("reference has %d lines, want %d", got, want)
	}
}

func TestReferenceKeepsPipesInsideTheCell(t *testing.T) {
	doc := []byte("intro\n" + config.ReferenceBegin + "\nstale\n" + config.ReferenceEnd + "\noutro\n")
	out, err := config.SpliceReference(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "intro\n"+config.ReferenceBegin+"\n| variable |") || !strings.HasSuffix(string(out), "|\n"+config.ReferenceEnd+"\noutro\n") || strings.Contains(string(out), "stale") {
		t.Fatalf("splice:\n%s", out)
	}
	again, _ := config.SpliceReference(out)
	if !bytes.Equal(again, out) {
		t.Fatal("splicing twice changed the document")
	}
	for _, line := range strings.Split(config.Reference(), "\n")[2:] {
		if line == "" {
			continue
		}
		if cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); cells != 5 {
			t.Errorf("row has %d separators, want 5: %s", cells, line)
		}
	}
	if _, err := config.SpliceReference([]byte("no markers")); err == nil {
		t.Fatal("a document without markers was accepted")
	}
}
