package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
)

// server is one running `taskbridge serve`.
type server struct {
	URL    string // the public URL, equal to the listen address
	Stdout *capture.Buffer
	Stderr *capture.Buffer // the JSON logs
	// EncryptionKeys is the server's TASKBRIDGE_ENCRYPTION_KEYS, for
	// reading what it stored.
	EncryptionKeys string
}

// MCPURL is the MCP endpoint (the OAuth protected resource).
func (s *server) MCPURL() string { return s.URL + "/mcp" }

const (
	portAttempts = 5
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// startServer runs the real server through cli.Run, as `taskbridge serve`
// with a test-mode environment, and stops it when the test ends. The public
// URL must name the listen address (it is the OAuth issuer and the MCP
// resource), so the port is chosen before start: a free one from the
// kernel, tried again should another process take it in between.
func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith is startServer with env overriding the test environment,
// e.g. a TASKBRIDGE_PUBLIC_URL behind a proxy (server.URL stays the listen
// address then).
func startServerWith(t *testing.T, override map[string]string) *server {
	t.Helper()
	encKeys, err := keyring.Generate("e2e")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		env := map[string]string{
			"TASKBRIDGE_ENV":             "test",
			"TASKBRIDGE_ADDR":            fmt.Sprintf("127.0.0.1:%d", port),
			"TASKBRIDGE_PUBLIC_URL":      base,
			"TASKBRIDGE_METRICS_ADDR":    "off",
			"DATABASE_URL":               tdb.AppURL,
			"TASKBRIDGE_AUDIT_KEY":       auditKey,
			"TASKBRIDGE_ENCRYPTION_KEYS": encKeys,
			"TASKBRIDGE_MCP_STATE_KEY":   randomKey(t),
		}
		maps.Copy(env, override)
		srv := &server{URL: base, Stdout: &capture.Buffer{}, Stderr: &capture.Buffer{}, EncryptionKeys: encKeys}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- cli.Run(ctx, cli.Env{Args: []string{"serve"}, Getenv: func(k string) string { return env[k] },
				Stdout: srv.Stdout, Stderr: srv.Stderr})
		}()
		err := waitListening(srv, done)
		if err == nil {
			t.Cleanup(func() { stopServer(t, cancel, done) })
			return srv
		}
		cancel()
		if !strings.Contains(err.Error(), "address already in use") || attempt == portAttempts {
			t.Fatalf("start taskbridge serve: %v\nstderr:\n%s", err, srv.Stderr)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomKey(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// waitListening returns nil once the server prints its address, or the
// error it exited with.
func waitListening(srv *server, done <-chan error) error {
	want := "listening on " + strings.TrimPrefix(srv.URL, "http://") + "\n"
	deadline := time.After(startTimeout)
	for !strings.Contains(srv.Stdout.String(), want) {
		select {
		case err := <-done:
			if err == nil {
				err = fmt.Errorf("serve returned before listening")
			}
			return err
		case <-deadline:
			return fmt.Errorf("serve did not report %q within %s; stdout: %s", want, startTimeout, srv.Stdout)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// stopServer does what SIGTERM does in main and waits for a clean exit.
func stopServer(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(stopTimeout):
		t.Error("serve did not stop after its context was cancelled")
	}
}
