package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

func TestUsersCreateReadsPasswordFromStdinAndAudits(t *testing.T) {
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL, "TASKBRIDGE_MIGRATE_DATABASE_URL": tdb.AdminURL}
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), cli.Env{
		Args: []string{"users", "create", "--email", "Operator@Example.test"}, Getenv: envFrom(env),
		Stdin: strings.NewReader("plum kettle orbit 42\n"), Stdout: &out, Stderr: &errOut,
	})
	if err != nil {
		t.Fatalf("users create: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "operator@example.test") {
		t.Fatalf("output %q", out.String())
	}
	ctx := context.Background()
	admin := tdb.Admin(t)
	var hash string
	if err := admin.QueryRow(ctx, `SELECT c.password_hash FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.email = 'operator@example.test'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("stored hash %q", hash)
	}
	var audited int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE event_type = 'admin.user_create' AND outcome = 'success'`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("admin.user_create audit rows: %d (%v)", audited, err)
	}

	out.Reset()
	err = cli.Run(ctx, cli.Env{Args: []string{"users", "list"}, Getenv: envFrom(env), Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatalf("users list: %v", err)
	}
	if !strings.Contains(out.String(), "operator@example.test") {
		t.Fatalf("users list output %q", out.String())
	}
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE event_type = 'admin.user_list'`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("admin.user_list audit rows: %d (%v)", audited, err)
	}
}

// The password is never an argument, and a weak one is refused.
func TestUsersCreateRefusesPasswordFlagAndWeakPasswords(t *testing.T) {
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL}
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), cli.Env{
		Args: []string{"users", "create", "--email", "x@example.test", "--password", "plum kettle orbit 42"}, Getenv: envFrom(env),
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
	})
	if !errors.Is(err, cli.ErrUsage) {
		t.Fatalf("--password accepted: %v", err)
	}
	err = cli.Run(context.Background(), cli.Env{
		Args: []string{"users", "create", "--email", "weak@example.test"}, Getenv: envFrom(env),
		Stdin: strings.NewReader("password1234\n"), Stdout: &out, Stderr: &errOut,
	})
	if err == nil || !strings.Contains(err.Error(), "too common") {
		t.Fatalf("weak password: %v", err)
	}
}

func TestUsersListNeedsTheOwnerRole(t *testing.T) {
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL}
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"users", "list"}, Getenv: envFrom(env), Stdout: &out, Stderr: &errOut})
	if err == nil || !strings.Contains(err.Error(), "TASKBRIDGE_MIGRATE_DATABASE_URL") {
		t.Fatalf("users list without the owner URL: %v", err)
	}
}
