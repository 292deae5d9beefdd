package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The fixture module in testdata/fixture has a passing package with a
// skipped test and a skipped subtest, a failing one (a failed test, a
// failed subtest, a passing and a skipped test), one without tests and one
// that does not compile. The tests feed the reporter what `go test -json`
// really prints for them.

// goTest runs go test in the fixture module and returns what it printed
// (stdout and stderr together) whether or not the tests passed.
func goTest(t *testing.T, args ...string) []byte {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goCmd, append([]string{"test", "-count=1"}, args...)...)
	cmd.Dir = filepath.Join("testdata", "fixture")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("go test %v: %v", args, err)
	}
	return out
}

// runReporter runs the reporter on input with the given CI value and
// allow-list text, returning its output and error.
func runReporter(t *testing.T, input []byte, ci, allowList string) (string, error) {
	t.Helper()
	allow := filepath.Join(t.TempDir(), "allowed-skips")
	if err := os.WriteFile(allow, []byte(allowList), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "CI" {
			return ci
		}
		return ""
	}
	err := run([]string{"-stage", "test-go", "-allow", allow}, getenv, bytes.NewReader(input), &out)
	return out.String(), err
}

var elapsed = regexp.MustCompile(`\t[0-9.]+s\n`)

func TestHumanOutputIsWhatPlainGoTestPrints(t *testing.T) {
	for _, pkg := range []string{"./passing", "./failing", "./notests", "./broken"} {
		t.Run(pkg, func(t *testing.T) {
			plain := goTest(t, pkg)
			out, err := runReporter(t, goTest(t, "-json", pkg), "", "")
			human, _, _ := strings.Cut(out, "test-go: ") // the skip list follows
			if got, want := elapsed.ReplaceAllString(human, "\tT\n"), elapsed.ReplaceAllString(string(plain), "\tT\n"); got != want {
				t.Errorf("the reporter printed\n%s\nplain go test printed\n%s", got, want)
			}
			if failed := pkg != "./passing" && pkg != "./notests"; (err != nil) != failed {
				t.Errorf("reporter error %v for %s", err, pkg)
			}
		})
	}
}

func TestSkipsAreListedAndCIFailsOnOneNotAllowed(t *testing.T) {
	input := goTest(t, "-json", "./passing")
	const listed = "test-go: 2 skipped test(s):\n" +
		"  SKIP fixture/passing TestSkipsWithReason: needs the frobnicator [%s]\n" +
		"  SKIP fixture/passing TestSubtests/skips: only on Plan 9 [%s]\n"

	// Outside CI every skip is listed, and none fails the run.
	out, err := runReporter(t, input, "", "")
	if err != nil || !strings.HasSuffix(out, strings.ReplaceAll(listed, "%s", "NOT ON THE ALLOW-LIST")) {
		t.Fatalf("outside CI: %v\n%s", err, out)
	}
	// In CI a skip the allow-list does not name for this stage fails it.
	onlyOne := "test-go internal/elsewhere TestSkipsWithReason  # another package\n" +
		"test-race passing TestSubtests/*  # another stage\n" +
		"test-go passing TestSkipsWithReason  # the frobnicator is not in CI\n"
	out, err = runReporter(t, input, "true", onlyOne)
	if err == nil || !strings.Contains(err.Error(), "1 skipped test(s) are not on") {
		t.Fatalf("CI with one skip not allowed: %v\n%s", err, out)
	}
	// Both allowed: by exact name and by a subtest pattern on any stage.
	out, err = runReporter(t, input, "true", onlyOne+"* fixture/passing TestSubtests/*  # Plan 9 only\n")
	if err != nil || !strings.HasSuffix(out, strings.ReplaceAll(listed, "%s", "allowed")) {
		t.Fatalf("CI with both skips allowed: %v\n%s", err, out)
	}
	if out, err := runReporter(t, goTest(t, "-json", "./notests"), "true", ""); err != nil || !strings.HasSuffix(out, "test-go: no test skipped\n") {
		t.Fatalf("a package without tests is no skipped test: %v\n%s", err, out)
	}
}

func TestAllowListEntriesNeedAReason(t *testing.T) {
	for _, bad := range []string{
		"test-go internal/foo TestX\n",
		"test-go internal/foo TestX   #   \n",
		"test-go TestX  # no package\n",
		"test-go internal/foo TestX[  # bad pattern\n",
	} {
		if _, err := runReporter(t, nil, "", bad); err == nil || !strings.Contains(err.Error(), "allowed-skips:1") {
			t.Errorf("%q: want an error naming the line, got %v", bad, err)
		}
	}
}
