package privacy

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"time"
)

// Schedule runs a pass every interval, jittered by up to a tenth either
// way so that replicas started together do not all wake at once (the lock
// makes all but one skip anyway), until ctx ends. The first pass comes
// after a random part of the first interval. Errors are logged; the next
// pass tries again.
func (r *Retention) Schedule(ctx context.Context, interval time.Duration, now func() time.Time) {
	if interval <= 0 {
		return
	}
	wait := randomDuration(interval)
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		rep, err := r.Run(ctx, now(), nil)
		switch {
		case err != nil:
			r.o.Log.ErrorContext(ctx, "retention pass failed", slog.Any("err", err))
		case rep.Ran:
			r.o.Log.InfoContext(ctx, "retention pass", slog.Int64("removed", rep.Total()))
		}
		wait = interval - interval/10 + randomDuration(interval/5)
	}
}

// randomDuration is uniform in [0, d).
func randomDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return time.Duration(binary.BigEndian.Uint64(b[:]) % uint64(d))
}
