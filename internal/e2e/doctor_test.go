package e2e_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/doctor"
)

// TestDoctorPassesAgainstTheRealServer runs `taskbridge doctor` against the
// real, fully wired server, as a host would walk it: every discovery step
// passes, and with a token the widget steps check the real resource too.
// (The TLS step is skipped here: the test server is plain-http loopback.)
func TestDoctorPassesAgainstTheRealServer(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()

	var out bytes.Buffer
	rep, err := doctor.Run(ctx, doctor.Options{URL: srv.MCPURL(), Timeout: 10 * time.Second}, &out)
	if err != nil || rep.Failed() {
		t.Fatalf("doctor without a token: %v\n%s", err, out.String())
	}

	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: true})
	out.Reset()
	rep, err = doctor.Run(ctx, doctor.Options{URL: srv.MCPURL(), Token: app.AccessToken(t), Timeout: 10 * time.Second}, &out)
	if err != nil || rep.Failed() {
		t.Fatalf("doctor with a token: %v\n%s", err, out.String())
	}
	for _, id := range []string{"widget.tools", "widget.version", "widget.mime", "widget.csp"} {
		if c, ok := rep.Find(id); !ok || c.Status != doctor.Pass {
			t.Errorf("%s did not pass against the real server\n%s", id, out.String())
		}
	}
}
