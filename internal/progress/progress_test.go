package progress_test

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/progress"
)

// fakeClock advances only when told to: no test depends on real time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestProgressNotATerminalWritesOnlyTheSummary(t *testing.T) {
	var out bytes.Buffer
	clock := newClock()
	bar := progress.New(&out, "retention", 1000, progress.WithTTY(false), progress.WithClock(clock.now))
	for range 1000 {
		clock.advance(time.Second)
		bar.Add(1)
	}
	bar.Done("retention: 1000 tasks purged")
	if got := out.String(); got != "retention: 1000 tasks purged\n" {
		t.Errorf("output = %q, want only the summary line", got)
	}
}

func TestProgressTerminalRedrawsOneLine(t *testing.T) {
	var out bytes.Buffer
	clock := newClock()
	bar := progress.New(&out, "export", 100, progress.WithTTY(true), progress.WithClock(clock.now))
	clock.advance(2 * time.Second)
	bar.Add(10)
	first := out.String()
	if want := "\r\x1b[2Kexport: 10/100 (10%), 5.0/s, ETA 18s"; first != want {
		t.Errorf("first draw = %q, want %q", first, want)
	}
	if strings.Contains(first, "\n") {
		t.Error("a progress redraw wrote a newline; the status must stay on one line")
	}
	bar.Done("export: 100 tasks written")
	if !strings.HasSuffix(out.String(), "\r\x1b[2Kexport: 100 tasks written\n") {
		t.Errorf("Done did not clear the status line before the summary: %q", out.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines written, want exactly the summary line", n)
	}
}

func TestProgressRedrawsAreThrottled(t *testing.T) {
	var out bytes.Buffer
	clock := newClock()
	bar := progress.New(&out, "rotate", 1000, progress.WithTTY(true), progress.WithClock(clock.now))
	for range 999 {
		clock.advance(time.Millisecond)
		bar.Add(1)
	}
	draws := strings.Count(out.String(), "\r")
	// 999 ms of work at one redraw per 100 ms: the first draw plus nine.
	if draws != 10 {
		t.Errorf("%d redraws for 999 items over 999 ms, want 10", draws)
	}
	bar.Add(1) // the last item always shows
	if !strings.Contains(out.String(), "1000/1000 (100%)") {
		t.Errorf("the completed count was not drawn: %q", out.String())
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var out bytes.Buffer
	clock := newClock()
	bar := progress.New(&out, "migrate", 0, progress.WithTTY(true), progress.WithClock(clock.now))
	clock.advance(time.Second)
	bar.Add(3)
	if got := out.String(); got != "\r\x1b[2Kmigrate: 3, 3.0/s" {
		t.Errorf("draw = %q", got)
	}
}

func TestProgressDefaultSummaryAndIdempotentDone(t *testing.T) {
	var out bytes.Buffer
	clock := newClock()
	bar := progress.New(&out, "migrate", 2, progress.WithTTY(false), progress.WithClock(clock.now))
	bar.Add(2)
	clock.advance(1500 * time.Millisecond)
	bar.Done("")
	bar.Done("again")
	bar.Add(1)
	if got := out.String(); got != "migrate: 2 done in 1.5s\n" {
		t.Errorf("output = %q", got)
	}
}

func TestProgressConcurrentAdds(t *testing.T) {
	var out bytes.Buffer
	bar := progress.New(&out, "export", 0, progress.WithTTY(false))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				bar.Add(1)
			}
		})
	}
	wg.Wait()
	bar.Done("")
	if !strings.HasPrefix(out.String(), "export: 8000 done") {
		t.Errorf("output = %q, want 8000 counted", out.String())
	}
}

func TestIsTerminal(t *testing.T) {
	if progress.IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if progress.IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !progress.IsTerminal(tty) {
			t.Error("/dev/tty is a terminal")
		}
	}
}
