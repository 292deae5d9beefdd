package cli

import (
	"context"
	"io"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/taskbridge/taskbridge/internal/metrics"
)

// ServeRoutes lists the routes serve mounts ("METHOD pattern", in chi's
// walk order) for the configuration getenv gives, built by the same wiring
// as runServe.
func ServeRoutes(ctx context.Context, getenv func(string) string) ([]string, error) {
	cfg, err := serveConfig(getenv)
	if err != nil {
		return nil, err
	}
	deps, err := openOperator(ctx, Env{Getenv: getenv, Stderr: io.Discard}, cfg)
	if err != nil {
		return nil, err
	}
	defer deps.db.Close()
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	h, _, err := newHandler(ctx, cfg, deps.log, deps.db, deps.keys, deps.auditLog, metrics.New(), nil, loopback, "test")
	if err != nil {
		return nil, err
	}
	var routes []string
	err = chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	})
	return routes, err
}
