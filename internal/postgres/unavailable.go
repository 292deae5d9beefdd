package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err means the database could not be
// reached or went away (a restart, a failover, a full pool that did not
// free up before the request's deadline) rather than that the request
// itself was wrong. Callers answer such errors with 503 and Retry-After:
// the same request may well succeed a moment later, and the client must
// not read it as a bug (500) or as a refusal of its input.
//
// A write whose COMMIT failed this way may or may not have been applied;
// the caller never acknowledges it, so a retry is the client's decision.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableState(pgErr.Code)
	}
	if errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// A network timeout inside pgx (pgconn wraps the context's deadline
	// when it hits during I/O). A bare context error is not classified
	// here: whether it means "too slow" depends on whose deadline it was
	// (see DeadlinePassed).
	if pgconn.Timeout(err) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false // context errors satisfy net.Error; see DeadlinePassed
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// A connection lost mid-query and a closed pool (shutting down) come as
	// errors of unexported types (pgx, puddle) whose text is stable.
	msg := err.Error()
	return strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool")
}

// DeadlinePassed reports whether err is ctx's own deadline: the request
// ran out of time waiting for the database (a full pool, a slow
// statement), which callers answer like IsUnavailable.
func DeadlinePassed(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// unavailableState: connection exceptions (class 08), operator intervention
// (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57014
// query canceled by statement_timeout) and too many connections (53300).
func unavailableState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "57014", code == "53300":
		return true
	}
	return false
}
