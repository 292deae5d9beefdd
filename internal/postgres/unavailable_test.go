package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// TestIsUnavailableClassifiesOutagesNotMistakes: what the MCP and bearer
// layers turn into 503 + Retry-After, and what they must not.
func TestIsUnavailableClassifiesOutagesNotMistakes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, refused := pgx.Connect(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	closedPool := db.Ping(ctx)

	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"closed pool", closedPool, true},
		{"admin shutdown", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"RLS refusal", &pgconn.PgError{Code: "42501"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"bare deadline", context.DeadlineExceeded, false},
		{"cancelled", context.Canceled, false},
		{"other", errors.New("boom"), false},
		{"nil", nil, false},
	} {
		if c.err == nil && c.want {
			t.Fatalf("%s: setup produced no error", c.name)
		}
		if got := postgres.IsUnavailable(c.err); got != c.want {
			t.Errorf("%s (%v): IsUnavailable = %v, want %v", c.name, c.err, got, c.want)
		}
	}

	expired, stop := context.WithTimeout(context.Background(), time.Nanosecond)
	defer stop()
	<-expired.Done()
	if !postgres.DeadlinePassed(expired, fmt.Errorf("acquire: %w", context.DeadlineExceeded)) {
		t.Error("the request's own deadline is not recognised")
	}
	if postgres.DeadlinePassed(context.Background(), context.DeadlineExceeded) {
		t.Error("a deadline error of some other context counts as the request's")
	}
}
