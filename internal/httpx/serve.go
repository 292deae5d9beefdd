package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerOptions sets the limits of an http.Server.
type ServerOptions struct {
	RequestTimeout time.Duration // the longest a handler may run
	// ReadHeaderTimeout is how long a client may take to send its request
	// headers (default 5s); tests of the slow-loris defence shorten it.
	ReadHeaderTimeout time.Duration
	TLSCertFile       string
	TLSKeyFile        string
	ErrorLog          *slog.Logger
}

// NewHTTPServer returns a server with every timeout set, so a slow or
// stalled client (slow loris) cannot hold a connection open (I8), and with
// TLS 1.3 as the minimum when the server terminates TLS itself (D6).
func NewHTTPServer(h http.Handler, opts ServerOptions) *http.Server {
	rt := opts.RequestTimeout
	if rt <= 0 {
		rt = 15 * time.Second
	}
	rht := opts.ReadHeaderTimeout
	if rht <= 0 {
		rht = 5 * time.Second
	}
	s := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: rht,
		ReadTimeout:       rt,
		WriteTimeout:      rt + 5*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	if opts.ErrorLog != nil {
		s.ErrorLog = slog.NewLogLogger(opts.ErrorLog.Handler(), slog.LevelWarn)
	}
	if opts.TLSCertFile != "" {
		s.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS13}
	}
	return s
}

// Serve runs s on ln until ctx is cancelled, then stops accepting and waits
// up to drain for in-flight requests before closing what is left.
func Serve(ctx context.Context, s *http.Server, ln net.Listener, certFile, keyFile string, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- s.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- s.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		_ = s.Close()
		return fmt.Errorf("drain %s: %w", ln.Addr(), err)
	}
	return nil
}
