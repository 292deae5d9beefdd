package cli_test

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

// unprotected answers every request with 200: the doctor must fail it.
func unprotected(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), auth...)
	}
}

func TestDoctorCommandFailsOnAnUnprotectedEndpoint(t *testing.T) {
	srv, _ := unprotected(t)
	var stdout, stderr bytes.Buffer
	err := cli.Run(t.Context(), cli.Env{Args: []string{"doctor", "--url", srv.URL + "/mcp"}, Getenv: envFrom(nil), Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), "checks failed") {
		t.Fatalf("err = %v, want a failure (non-zero exit)", err)
	}
	if errors.Is(err, cli.ErrUsage) {
		t.Error("a failed check is not a usage error")
	}
	if !strings.Contains(stdout.String(), "FAIL  mcp.challenge") || !strings.Contains(stdout.String(), "the MCP endpoint is not protected") {
		t.Errorf("stdout lacks the FAIL line:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestDoctorCommandDefaultsToThePublicURL(t *testing.T) {
	srv, _ := unprotected(t)
	var stdout bytes.Buffer
	env := map[string]string{"TASKBRIDGE_ENV": "dev", "TASKBRIDGE_PUBLIC_URL": srv.URL}
	_ = cli.Run(t.Context(), cli.Env{Args: []string{"doctor"}, Getenv: envFrom(env), Stdout: &stdout, Stderr: &bytes.Buffer{}})
	if !strings.Contains(stdout.String(), "checking "+srv.URL+"/mcp ") {
		t.Errorf("doctor did not check TASKBRIDGE_PUBLIC_URL + /mcp:\n%s", stdout.String())
	}
}

func TestDoctorCommandReadsTheTokenFromStdin(t *testing.T) {
	srv, seen := unprotected(t)
	_ = cli.Run(t.Context(), cli.Env{
		Args:   []string{"doctor", "--url", srv.URL + "/mcp", "--token", "-"},
		Getenv: envFrom(nil), Stdin: strings.NewReader("secret-token\n"), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
	})
	var sent bool
	for _, a := range seen() {
		if a == "Bearer secret-token" {
			sent = true
		}
	}
	if !sent {
		t.Errorf("the token from stdin was never sent; Authorization headers seen: %q", seen())
	}
}

func TestDoctorCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"doctor", "--nope"}, {"doctor", "extra"}, {"doctor", "--timeout", "0s"}} {
		err := cli.Run(t.Context(), cli.Env{Args: args, Getenv: envFrom(nil), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
		if !errors.Is(err, cli.ErrUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}

// TestDoctorCommandExplainsAnUnreachableLocalhost: the command's default
// container detection (the runtimes' marker files) picks the advice for a
// refused loopback connection: inside a container, that localhost is the
// container itself.
func TestDoctorCommandExplainsAnUnreachableLocalhost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err = cli.Run(t.Context(), cli.Env{Args: []string{"doctor", "--url", "http://localhost:" + port + "/mcp"}, Getenv: envFrom(nil), Stdout: &stdout, Stderr: &bytes.Buffer{}})
	if err == nil {
		t.Fatal("an unreachable URL must fail the command")
	}
	want := "nothing accepts connections on localhost:" + port
	for _, marker := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(marker); err == nil {
			want = "the doctor runs inside a container, where localhost is that container itself"
		}
	}
	if !strings.Contains(stdout.String(), "fix: "+want) {
		t.Errorf("want the fix to start %q:\n%s", want, stdout.String())
	}
}
