package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// lookedUpBeforeTheUser are the tables with a foreign key to users that are
// not user-owned in the row-level-security sense: the OAuth layer finds
// their rows by the SHA-256 of a secret before it knows the user, so a
// policy keyed on the user could not apply (0004_oauth.up.sql explains
// them). Nothing else may join this list: a new table holding a user's
// rows is covered by TestEveryUserTableForcesRowLevelSecurity.
var lookedUpBeforeTheUser = map[string]bool{
	"oauth_authorization_requests": true,
	"oauth_token_families":         true,
	"oauth_codes":                  true,
	"oauth_tokens":                 true,
}

// TestEveryUserTableForcesRowLevelSecurity (A8): every table of schema
// public that holds a user's rows (users itself, and every table with a
// foreign key to users) except the few above has row-level security enabled
// AND forced (so even its owner is subject to it), a policy keyed on
// app_current_user_id() for both reading and writing, and no privilege for
// any role but its owner and taskbridge_runtime. It enumerates the schema,
// so a table a fork adds is covered without editing this test (the fork
// drill in dev/forkdrill proves it).
func TestEveryUserTableForcesRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	admin := tdb.Admin(t)
	rows, err := admin.Query(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname = 'users' OR EXISTS (
			SELECT 1 FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid = 'public.users'::regclass))
		ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		name            string
		enabled, forced bool
		owner           string
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var tb table
		err := r.Scan(&tb.name, &tb.enabled, &tb.forced, &tb.owner)
		return tb, err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tb := range tables {
		seen[tb.name] = true
		if lookedUpBeforeTheUser[tb.name] {
			continue
		}
		if !tb.enabled || !tb.forced {
			t.Errorf("%s holds users' rows but row-level security is enabled=%v forced=%v; both must be on", tb.name, tb.enabled, tb.forced)
		}
		var keyed int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_policies
			WHERE schemaname = 'public' AND tablename = $1 AND cmd = 'ALL'
				AND (roles = '{public}' OR 'taskbridge_runtime' = ANY(roles))
				AND qual LIKE '%app_current_user_id()%' AND with_check LIKE '%app_current_user_id()%'`, tb.name).Scan(&keyed); err != nil {
			t.Fatal(err)
		}
		if keyed == 0 {
			t.Errorf("%s has no policy keyed on app_current_user_id() for reading and writing (USING and WITH CHECK)", tb.name)
		}
		grantees, err := otherGrantees(ctx, admin, tb.name, tb.owner)
		if err != nil {
			t.Fatal(err)
		}
		if len(grantees) > 0 {
			t.Errorf("%s grants privileges to %s; only taskbridge_runtime may have any", tb.name, strings.Join(grantees, ", "))
		}
	}
	for name := range lookedUpBeforeTheUser {
		if !seen[name] {
			t.Errorf("lookedUpBeforeTheUser names %s, which is no longer a table with a foreign key to users", name)
		}
	}
	if !seen["users"] || !seen["tasks"] {
		t.Fatalf("the enumeration found %v, not even users and tasks", seen)
	}
}

// otherGrantees lists the roles other than owner and taskbridge_runtime
// (PUBLIC included) holding any privilege on table.
func otherGrantees(ctx context.Context, admin *pgx.Conn, table, owner string) ([]string, error) {
	rows, err := admin.Query(ctx, `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
		FROM pg_class c, aclexplode(c.relacl) a
		WHERE c.oid = ('public.' || quote_ident($1))::regclass ORDER BY 1`, table)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range all {
		if g != owner && g != "taskbridge_runtime" {
			out = append(out, g)
		}
	}
	return out, nil
}
