package devrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/dev/pgcluster"
)

// RolesSQL is deploy/postgres/init-roles.sh's SQL, which the dev stack and
// production run in the container (dev/packaging
// TestDevRunRolesMatchInitScript keeps the two the same): the owner, the
// NOLOGIN runtime role, the NOINHERIT app login role in it, and a database
// only they reach. The statements before `\connect taskbridge` run on the
// maintenance database, the rest on taskbridge; :'owner_password' and
// :'app_password' are psql variables, filled in by createRoles.
const RolesSQL = `CREATE ROLE taskbridge_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE taskbridge_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE taskbridge_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    IN ROLE taskbridge_runtime
    PASSWORD :'app_password';
CREATE DATABASE taskbridge OWNER taskbridge_owner;
REVOKE ALL ON DATABASE taskbridge FROM PUBLIC;
GRANT CONNECT ON DATABASE taskbridge TO taskbridge_app;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC;
\connect taskbridge
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
`

// createRoles runs RolesSQL as the cluster's superuser, one statement at a
// time (CREATE DATABASE refuses to run inside a multi-statement query). The
// passwords are hex (randomPassword), so quoting them is the whole job.
func createRoles(ctx context.Context, c *pgcluster.Cluster, pw map[string]string) error {
	sql := strings.NewReplacer(
		":'owner_password'", "'"+pw["taskbridge_owner"]+"'",
		":'app_password'", "'"+pw["taskbridge_app"]+"'",
	).Replace(RolesSQL)
	onMaintenance, onTaskbridge, _ := strings.Cut(sql, "\\connect taskbridge\n")
	for _, step := range []struct{ database, sql string }{{"postgres", onMaintenance}, {"taskbridge", onTaskbridge}} {
		conn, err := pgx.Connect(ctx, c.DatabaseURL("postgres", step.database, pw["postgres"]))
		if err != nil {
			return fmt.Errorf("connect as the superuser: %w", err)
		}
		for _, stmt := range strings.Split(step.sql, ";\n") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := conn.Exec(ctx, stmt); err != nil {
				_ = conn.Close(ctx)
				return fmt.Errorf("create the roles: %s: %w", strings.Fields(stmt)[:3], err)
			}
		}
		if err := conn.Close(ctx); err != nil {
			return err
		}
	}
	return nil
}
