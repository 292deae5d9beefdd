package loadgen

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The only place the load generator opens connections. Targets are
// loopback addresses unless the caller passed AllowRemote (CheckTarget,
// checked by Run and by taskbridge bench); every request has a timeout.

// NewHTTPClient returns a client that keeps one idle connection per
// concurrent client, so the run measures requests, not TCP handshakes.
func NewHTTPClient(clients int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = clients * 2
	t.MaxIdleConnsPerHost = clients * 2
	t.MaxConnsPerHost = 0
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// NewSpreadHTTPClient is NewHTTPClient whose connections come from
// sourceIPs loopback addresses (127.0.0.2, 127.0.0.3, ...), in turn: on a
// loopback target the server sees several client hosts, as it would in
// production, so its per-IP limits (on requests that authentication
// refuses, and on the OAuth endpoints) do not cap a single-host run.
// Linux routes all of 127.0.0.0/8 to the loopback interface.
func NewSpreadHTTPClient(clients, sourceIPs int) *http.Client {
	c := NewHTTPClient(clients)
	t := c.Transport.(*http.Transport)
	var next atomic.Uint32
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := next.Add(1)
		ip := net.IPv4(127, 0, 0, byte(2+n%uint32(sourceIPs)))
		d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
		return d.DialContext(ctx, network, addr)
	}
	return c
}
