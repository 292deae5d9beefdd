package logging

import (
	"io"
	"log/slog"
)

// Options configure New.
type Options struct {
	// Level is the minimum level written; nil means slog.LevelInfo. A
	// *slog.LevelVar lets the level change at run time.
	Level slog.Leveler
	// AddSource adds the caller's file and line to every line.
	AddSource bool
}

// New returns the server's logger: JSON lines on w, every one of them
// redacted (L1) and carrying the request id from the context (L2).
func New(w io.Writer, opts Options) *slog.Logger {
	jsonHandler := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: opts.Level, AddSource: opts.AddSource})
	return slog.New(NewRedactingHandler(jsonHandler))
}
