package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// In production the migration owner is an ordinary role (no superuser, no
// BYPASSRLS) and FORCE ROW LEVEL SECURITY applies to it, so the SECURITY
// DEFINER lookups would see nothing without the owner's own narrow
// policies. The package's other tests migrate as a superuser, which bypasses
// RLS and would hide exactly that, so this one migrates as a plain owner and
// runs sign-up, login, session resume and logout against it.
func TestDefinerLookupsWorkWhenMigrationOwnerIsNotSuperuser(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser to create the owner role")
	}
	ctx := context.Background()
	owner := "tb_owner_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	server, err := pgx.Connect(ctx, tdb.ServerAdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(ctx)
	if _, err := server.Exec(ctx, `CREATE ROLE `+owner+` LOGIN PASSWORD 'owner-pw' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`); err != nil {
		t.Fatal(err)
	}
	// Registered before the database exists, so it runs after the database
	// is dropped (cleanups run last-in first-out).
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), tdb.ServerAdminURL)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP ROLE IF EXISTS `+owner); err != nil {
			t.Error(err)
		}
	})
	empty := tdb.NewEmpty(t)
	admin, err := pgx.Connect(ctx, empty.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, stmt := range []string{
		`ALTER DATABASE ` + empty.Name + ` OWNER TO ` + owner,
		`ALTER SCHEMA public OWNER TO ` + owner,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	ownerURL, err := url.Parse(empty.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	ownerURL.User = url.UserPassword(owner, "owner-pw")
	if err := postgres.MigrateUp(ctx, ownerURL.String()); err != nil {
		t.Fatalf("migrate as a plain owner: %v", err)
	}

	e := startEnvOn(t, empty.AppURL, false)
	c := e.browser()
	email := uniqueEmail("prodlike")
	e.mustSignup(c, email)
	if !e.signedIn(c) {
		t.Fatal("session resume (account_session_resume) failed under a plain owner")
	}
	e.logout(c)
	if p := e.login(c, email, testPassword); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("login lookup (account_login_lookup) failed under a plain owner: %d\n%s", p.StatusCode, p.body)
	}
	if _, err := admin.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	if n, err := purgeSessions(ctx, e.db); err != nil || n != 1 {
		t.Fatalf("purge under a plain owner: %d, %v", n, err)
	}
}
