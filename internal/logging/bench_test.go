package logging_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/logging"
)

func BenchmarkRedactString(b *testing.B) {
	inputs := []struct{ name, s string }{
		{"plain_short", "http request"},
		{"plain_path", "/oauth/authorize"},
		{"plain_sentence", "list_tasks returned 25 tasks in 12ms for client 3f5a9c2e"},
		{"plain_1KiB", strings.Repeat("the quick brown fox jumps over the lazy dog ", 24)},
		{"email", "login failed for alice@example.com"},
		{"mixed_secrets", "POST /token?code=abc123&state=x Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig from alice@example.com, call +1 555 123 4567, card 4111 1111 1111 1111"},
		{"numbers_no_secret", "2024-06-01T12:30:45Z took 1500ms port 8080 id 123e4567-e89b-12d3-a456-426614174000 rows 1234567"},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.s)))
			for b.Loop() {
				_ = logging.RedactString(in.s)
			}
		})
	}
}

// BenchmarkHandler logs an access-log line (what every request costs)
// through the redacting logger, next to the bare JSON handler it wraps.
func BenchmarkHandler(b *testing.B) {
	ctx := logging.WithRequestID(context.Background(), "3f5a9c2e7b1d4e6f8a0b2c4d6e8f0a1b")
	accessLine := func(log *slog.Logger) {
		log.LogAttrs(ctx, slog.LevelInfo, "http request",
			slog.String("method", "POST"),
			slog.String("path", "/mcp"),
			slog.Int("status", 200),
			slog.Int("bytes", 1834),
			slog.Duration("duration", 12*time.Millisecond))
	}
	b.Run("json_baseline", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for b.Loop() {
			accessLine(log)
		}
	})
	b.Run("redacting_access_line", func(b *testing.B) {
		log := logging.New(io.Discard, logging.Options{})
		b.ReportAllocs()
		for b.Loop() {
			accessLine(log)
		}
	})
	b.Run("redacting_with_secrets", func(b *testing.B) {
		log := logging.New(io.Discard, logging.Options{})
		err := errors.New("smtp: 550 mailbox alice@example.com unavailable")
		b.ReportAllocs()
		for b.Loop() {
			log.ErrorContext(ctx, "send failed", "err", err, "authorization", "Bearer abc", "to", "bob@example.org")
		}
	})
	b.Run("redacting_any_map", func(b *testing.B) {
		log := logging.New(io.Discard, logging.Options{})
		m := map[string]any{"user": map[string]any{"email": "alice@example.com", "password": "x"}, "n": 3}
		b.ReportAllocs()
		for b.Loop() {
			log.InfoContext(ctx, "cfg", slog.Any("cfg", m))
		}
	})
	b.Run("redacting_grouped", func(b *testing.B) {
		log := logging.New(io.Discard, logging.Options{}).WithGroup("mcp").With("tool", "list_tasks")
		b.ReportAllocs()
		for b.Loop() {
			log.InfoContext(ctx, "tool call", "ms", 12)
		}
	})
}
