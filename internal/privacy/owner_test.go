package privacy_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// In production the migration owner is a plain role and FORCE ROW LEVEL
// SECURITY applies to it, so the SECURITY DEFINER purge functions see
// nothing unless the owner's own narrow policies (0006) let them. The other
// tests migrate as a superuser, which bypasses RLS and would hide a missing
// policy; this one migrates as a plain owner and runs a pass.
func TestRetentionWorksWhenMigrationOwnerIsNotSuperuser(t *testing.T) {
	if !tdb.AdminIsSuperuser {
		t.Skip("needs a superuser to create the owner role")
	}
	ctx := context.Background()
	owner := "tb_powner_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	server, err := pgx.Connect(ctx, tdb.ServerAdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(ctx)
	if _, err := server.Exec(ctx, `CREATE ROLE `+owner+` LOGIN PASSWORD 'owner-pw' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`); err != nil {
		t.Fatal(err)
	}
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
	for _, stmt := range []string{`ALTER DATABASE ` + empty.Name + ` OWNER TO ` + owner, `ALTER SCHEMA public OWNER TO ` + owner} {
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
	db, err := postgres.Open(ctx, empty.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	now := time.Now().UTC()
	user := uuid.New()
	var oldTask, youngTask uuid.UUID
	for _, stmt := range []struct {
		sql  string
		args []any
		dst  *uuid.UUID
	}{
		{`INSERT INTO users (id, email) VALUES ($1, 'owner-test@example.test') RETURNING id`, []any{user}, new(uuid.UUID)},
		{`INSERT INTO tasks (owner_id, title, deleted_at) VALUES ($1, 'old', $2) RETURNING id`, []any{user, now.Add(-31 * 24 * time.Hour)}, &oldTask},
		{`INSERT INTO tasks (owner_id, title, status, completed_at, deleted_at) VALUES ($1, 'young', 'done', $2, $3) RETURNING id`,
			[]any{user, now.Add(-2 * 24 * time.Hour), now.Add(-29 * 24 * time.Hour)}, &youngTask},
		{`INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via) VALUES ($1, $2, $3, 'api') RETURNING user_id`,
			[]any{user, now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)}, new(uuid.UUID)},
	} {
		if err := admin.QueryRow(ctx, stmt.sql, stmt.args...).Scan(stmt.dst); err != nil {
			t.Fatalf("%s: %v", stmt.sql, err)
		}
	}
	keys, _ := audit.EphemeralKeys()
	r, err := privacy.NewRetention(privacy.RetentionOptions{DB: db, Audit: postgres.NewAuditLog(keys),
		Periods: privacy.Periods{Trash: 30 * 24 * time.Hour, Completed: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(ctx, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed[privacy.KindTrashedTasks] != 1 || rep.Removed[privacy.KindCompletedTasks] != 1 || rep.Removed[privacy.KindDeletionRequests] != 1 {
		t.Errorf("under a plain owner the pass removed %v; want one trashed, one completed, one request", rep.Removed)
	}
	// The owner's retention policies open nothing outside the functions.
	ownerConn, err := pgx.Connect(ctx, ownerURL.String())
	if err != nil {
		t.Fatal(err)
	}
	defer ownerConn.Close(ctx)
	if _, err := admin.Exec(ctx, `INSERT INTO tasks (owner_id, title) VALUES ($1, 'live')`, user); err != nil {
		t.Fatal(err)
	}
	var visible int
	if err := ownerConn.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&visible); err != nil {
		t.Fatal(err)
	}
	if visible != 0 {
		t.Errorf("the owner role sees %d tasks outside the purge functions", visible)
	}
}
