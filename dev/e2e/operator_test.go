package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
)

// TestOperatorMadeAccountAcceptsThePolicyBeforeLinking: `taskbridge users
// create` makes an account nobody has accepted the privacy policy for. When
// its owner links an app, the real server (its OAuth server asks the
// account service who may link) puts the policy consent page between the
// login and the app's consent page, records the acceptance, and only then
// issues a code (C3).
func TestOperatorMadeAccountAcceptsThePolicyBeforeLinking(t *testing.T) {
	srv := startServer(t)
	p := newPerson(t)
	p.OperatorMade = true
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL, "TASKBRIDGE_AUDIT_KEY": auditKey}
	var out, errOut capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"users", "create", "--email", p.Email},
		Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(p.Password + "\n"), Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatalf("users create: %v\n%s%s", err, out.String(), errOut.String())
	}
	var n int
	admin := tdb.Admin(t)
	count := `SELECT count(*) FROM consents c JOIN users u ON u.id = c.user_id WHERE u.email = $1 AND c.document = 'privacy_policy'`
	if err := admin.QueryRow(context.Background(), count, p.Email).Scan(&n); err != nil || n != 0 {
		t.Fatalf("operator-made account has %d privacy consent rows (err %v), want 0", n, err)
	}

	app := linkApp(t, srv, newBrowser(t, srv), p, consentChoice{AllowWrite: false})
	if err := admin.QueryRow(context.Background(), count, p.Email).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after linking: %d privacy consent rows (err %v), want 1", n, err)
	}
	if res := callTool(t, app.Session, "list_tasks", map[string]any{}); res.IsError {
		t.Fatalf("list_tasks after linking: %s", toolText(res))
	}
}
