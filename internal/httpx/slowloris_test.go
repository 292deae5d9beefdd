package httpx_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/httpx"
)

// startServer runs NewHTTPServer on a loopback port with short limits.
func startServer(t *testing.T, opts httpx.ServerOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpx.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), opts)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// trickle writes chunk every interval until the server closes the
// connection, and reports whether it did before giveUp.
func trickle(t *testing.T, conn net.Conn, first, chunk string, interval, giveUp time.Duration) bool {
	t.Helper()
	if _, err := conn.Write([]byte(first)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		// The server answers 408 or just closes; either way the read ends.
		_ = conn.SetReadDeadline(time.Now().Add(giveUp))
		_, err := io.Copy(io.Discard, conn)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			close(closed)
		}
	}()
	deadline := time.After(giveUp)
	for {
		select {
		case <-closed:
			return true
		case <-deadline:
			return false
		case <-time.After(interval):
			_, _ = conn.Write([]byte(chunk)) // fails once the server is gone; the reader reports that
		}
	}
}

// TestSlowLorisHeadersAreCut: a client that sends its headers a byte at a
// time, never finishing, is disconnected after ReadHeaderTimeout (I8): it
// cannot hold a connection (and a goroutine) open indefinitely.
func TestSlowLorisHeadersAreCut(t *testing.T) {
	// The request (read) timeout is long, so only the header timeout can
	// cut the connection within the five seconds the test waits.
	addr := startServer(t, httpx.ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, RequestTimeout: time.Minute})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !trickle(t, conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X", 50*time.Millisecond, 5*time.Second) {
		t.Fatal("the server kept a connection whose headers never finished")
	}
}

// TestSlowBodyIsCut: complete headers but a body trickled forever are cut
// by the read timeout (the request timeout).
func TestSlowBodyIsCut(t *testing.T) {
	addr := startServer(t, httpx.ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, RequestTimeout: time.Second})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
	if !trickle(t, conn, head, " ", 50*time.Millisecond, 5*time.Second) {
		t.Fatal("the server kept a connection whose body never finished")
	}
}

func TestDefaultReadHeaderTimeoutIsSet(t *testing.T) {
	s := httpx.NewHTTPServer(http.NotFoundHandler(), httpx.ServerOptions{})
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("a server timeout is unset: %+v", s)
	}
}
