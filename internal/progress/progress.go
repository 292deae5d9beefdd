// Package progress shows how far a long operator command (retention run,
// key rotation, export, migrate) has got. On a terminal it redraws one
// status line in place; anywhere else (a pipe, a log collector, CI) it
// stays silent until the final summary line, so logs never get a line per
// item.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// redrawEvery limits redraws; a terminal cannot show more anyway.
const redrawEvery = 100 * time.Millisecond

// Bar is one operation's progress. Its methods are safe for concurrent use.
type Bar struct {
	w     io.Writer
	label string
	total int64 // <= 0: unknown
	tty   bool
	now   func() time.Time

	mu       sync.Mutex
	done     int64
	start    time.Time
	lastDraw time.Time
	drawn    bool
	finished bool
}

// Option adjusts a Bar.
type Option func(*Bar)

// WithTTY overrides terminal detection (tests, or a --progress flag).
func WithTTY(tty bool) Option { return func(b *Bar) { b.tty = tty } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(b *Bar) { b.now = now } }

// New starts a bar for total items (0 or less when the total is unknown).
// It draws on w only if w is a terminal, unless WithTTY says otherwise.
func New(w io.Writer, label string, total int64, opts ...Option) *Bar {
	b := &Bar{w: w, label: label, total: total, tty: IsTerminal(w), now: time.Now}
	for _, o := range opts {
		o(b)
	}
	b.start = b.now()
	return b
}

// IsTerminal reports whether w is a character device (a terminal), without
// needing golang.org/x/term.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Add records n more items done and redraws the line when it is due.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.done += n
	if !b.tty {
		return
	}
	now := b.now()
	if b.drawn && now.Sub(b.lastDraw) < redrawEvery && b.done != b.total {
		return
	}
	b.lastDraw, b.drawn = now, true
	fmt.Fprint(b.w, "\r\x1b[2K"+b.line(now))
}

// Done ends the bar: on a terminal it replaces the status line with the
// summary; elsewhere it writes only the summary. An empty summary writes a
// default one with the count and the elapsed time.
func (b *Bar) Done(summary string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	if summary == "" {
		summary = fmt.Sprintf("%s: %d done in %s", b.label, b.done, b.now().Sub(b.start).Round(time.Millisecond))
	}
	if b.tty && b.drawn {
		fmt.Fprint(b.w, "\r\x1b[2K")
	}
	fmt.Fprintln(b.w, summary)
}

// line is the status line: label, done/total with percentage, rate, ETA.
func (b *Bar) line(now time.Time) string {
	var s strings.Builder
	s.WriteString(b.label)
	s.WriteString(": ")
	if b.total > 0 {
		fmt.Fprintf(&s, "%d/%d (%d%%)", b.done, b.total, b.done*100/b.total)
	} else {
		fmt.Fprintf(&s, "%d", b.done)
	}
	elapsed := now.Sub(b.start)
	if elapsed <= 0 || b.done <= 0 {
		return s.String()
	}
	rate := float64(b.done) / elapsed.Seconds()
	fmt.Fprintf(&s, ", %.1f/s", rate)
	if b.total > 0 && b.done < b.total {
		eta := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		fmt.Fprintf(&s, ", ETA %s", eta.Round(time.Second))
	}
	return s.String()
}
