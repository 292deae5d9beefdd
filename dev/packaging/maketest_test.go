package packaging_test

import (
	"os/exec"
	"strings"
	"testing"
)

// runMake runs make in the repository root and returns its output and error.
func runMake(t *testing.T, args ...string) (string, error) {
	t.Helper()
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is not installed; CI runs make test: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), mk, append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMakeTestRunsEveryStageAndListsTheFailed: a failing stage does not
// stop the later ones (one flaky package cannot hide the browser stage's
// result), and make test still fails, naming the stages that did.
func TestMakeTestRunsEveryStageAndListsTheFailed(t *testing.T) {
	out, err := runMake(t, "test", "TEST_STAGES=no-such-stage help")
	if err == nil {
		t.Fatalf("make test passed with a failing stage:\n%s", out)
	}
	for _, want := range []string{"==> make no-such-stage\n", "==> make help\n", "build\tbuild the binary", "make test: FAILED: no-such-stage\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("make test output lacks %q:\n%s", want, out)
		}
	}
	if out, err := runMake(t, "test", "TEST_STAGES=help"); err != nil || !strings.Contains(out, "make test: every stage passed") {
		t.Errorf("make test with passing stages: %v\n%s", err, out)
	}
}

// TestGoTestStagesListSkips: both Go test stages go through the reporter,
// which lists skipped tests and, in CI, fails on one not on the allow-list.
func TestGoTestStagesListSkips(t *testing.T) {
	out, err := runMake(t, "-n", "GO=go", "test-go", "test-race")
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
	for _, want := range []string{
		"go test -json -count=1 ./... | ./bin/testreport -stage test-go\n",
		"go test -json -count=1 -short -race ./... | ./bin/testreport -stage test-race\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Go test stages do not run %q:\n%s", want, out)
		}
	}
}
