// Command testreport reads `go test -json` on stdin and prints what plain
// `go test` would (the build errors, each failing package's output, every
// package's closing ok/FAIL line), then every skipped test with its reason.
// It exits 1 if a package failed, and also when CI is set and a test was
// skipped that the allow-list does not name for this stage: in CI a missing
// tool or setting must fail the run, not hide a test.
//
//	go test -json ./... | testreport -stage test-go -allow .ci/allowed-skips
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("testreport", flag.ContinueOnError)
	stage := fs.String("stage", "", "the name of this test stage, as the allow-list's first column names it (required)")
	allowPath := fs.String("allow", ".ci/allowed-skips", "the allow-list of skips CI accepts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stage == "" || fs.NArg() != 0 {
		return fmt.Errorf("usage: go test -json ... | testreport -stage NAME [-allow FILE]")
	}
	allowed, err := loadAllowList(*allowPath)
	if err != nil {
		return err
	}
	rep, err := readEvents(stdin, stdout)
	if err != nil {
		return err
	}
	disallowed := rep.printSkips(stdout, allowed, *stage)
	if len(rep.failed) > 0 {
		return fmt.Errorf("%d package(s) failed", len(rep.failed))
	}
	if inCI(getenv("CI")) && disallowed > 0 {
		return fmt.Errorf("%d skipped test(s) are not on %s for stage %s; in CI a test must run (or be listed there with the reason it may skip)",
			disallowed, *allowPath, *stage)
	}
	return nil
}

// inCI reads the CI variable the way CI services set it.
func inCI(v string) bool { return v != "" && v != "false" && v != "0" }
