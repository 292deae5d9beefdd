package testdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// createDatabase makes a fresh database and its app login role on the server
// that serverAdminURL points at. With migrate, the project migrations run in
// it first (they create the runtime role the app role joins).
func createDatabase(ctx context.Context, serverAdminURL, pkg string, migrate bool) (*Database, error) {
	suffix, err := randomHex(6)
	if err != nil {
		return nil, err
	}
	password, err := randomHex(24)
	if err != nil {
		return nil, err
	}
	if pkg = sanitizeName(pkg); pkg == "" {
		pkg = "pkg"
	}
	d := &Database{
		Name:           databasePrefix + pkg + "_" + suffix,
		AppRole:        appRolePrefix + suffix,
		ServerAdminURL: serverAdminURL,
		pkg:            pkg,
	}
	if d.AdminURL, err = withDatabase(serverAdminURL, d.Name); err != nil {
		return nil, err
	}
	d.AppURL = withLogin(d.AdminURL, d.AppRole, password)

	conn, err := pgx.Connect(ctx, serverAdminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", describeURL(serverAdminURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if err := conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&d.AdminIsSuperuser); err != nil {
		return nil, fmt.Errorf("inspect admin role: %w", err)
	}
	// template0 is never connected to, so parallel CREATE DATABASE calls do
	// not fail with "source database is being accessed by other users".
	if err := execDDL(ctx, conn, "CREATE DATABASE "+quoteIdent(d.Name)+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.Name, err)
	}
	if err := d.populate(ctx, conn, password, migrate); err != nil {
		return nil, errors.Join(err, dropDatabase(context.WithoutCancel(ctx), conn, d))
	}
	return d, nil
}

func (d *Database) populate(ctx context.Context, conn *pgx.Conn, password string, migrate bool) error {
	comment := quoteLiteral(ownerComment())
	if err := execDDL(ctx, conn, "COMMENT ON DATABASE "+quoteIdent(d.Name)+" IS "+comment); err != nil {
		return fmt.Errorf("mark database %s: %w", d.Name, err)
	}
	if migrate {
		if err := postgres.MigrateUp(ctx, d.AdminURL); err != nil {
			return fmt.Errorf("migrate database %s: %w", d.Name, err)
		}
	}
	role := quoteIdent(d.AppRole)
	statements := []string{
		// Exactly what production's login role may do: log in and become
		// the runtime role. No attribute that would bypass RLS.
		"CREATE ROLE " + role + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD " + quoteLiteral(password),
		"COMMENT ON ROLE " + role + " IS " + comment,
		"GRANT " + quoteIdent(postgres.RuntimeRole) + " TO " + role,
		"GRANT CONNECT ON DATABASE " + quoteIdent(d.Name) + " TO " + role,
	}
	for _, stmt := range statements {
		if err := execDDL(ctx, conn, stmt); err != nil {
			return fmt.Errorf("set up app role %s: %w", d.AppRole, err)
		}
	}
	return nil
}

// drop removes the database (disconnecting any clients) and its role.
func (d *Database) drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.ServerAdminURL)
	if err != nil {
		return fmt.Errorf("connect to drop database %s: %w", d.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return dropDatabase(ctx, conn, d)
}

func dropDatabase(ctx context.Context, conn *pgx.Conn, d *Database) error {
	var errs []error
	if err := execDDL(ctx, conn, "DROP DATABASE IF EXISTS "+quoteIdent(d.Name)+" WITH (FORCE)"); err != nil {
		errs = append(errs, fmt.Errorf("drop database %s: %w", d.Name, err))
	}
	if err := execDDL(ctx, conn, "DROP ROLE IF EXISTS "+quoteIdent(d.AppRole)); err != nil {
		errs = append(errs, fmt.Errorf("drop role %s: %w", d.AppRole, err))
	}
	return errors.Join(errs...)
}

// execDDL retries the errors that concurrent catalog changes from parallel
// test packages can cause; they succeed when tried again.
func execDDL(ctx context.Context, conn *pgx.Conn, sql string) error {
	const attempts = 5
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		if _, err = conn.Exec(ctx, sql); err == nil || !transientDDLError(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
	return err
}

func transientDDLError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001", "40P01", "55006": // serialization failure, deadlock, object in use
		return true
	case "XX000":
		return strings.Contains(pgErr.Message, "tuple concurrently updated")
	}
	return false
}

func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// quoteLiteral quotes a string for DDL, which takes no bind parameters.
// standard_conforming_strings is on (the default since PostgreSQL 9.1), so
// doubling single quotes is the whole job.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// withDatabase points a server URL at another database, keeping host, user
// and options such as sslmode.
func withDatabase(serverURL, database string) (string, error) {
	u, err := parsePostgresURL(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + database
	u.RawPath = ""
	return u.String(), nil
}

// withLogin replaces the URL's credentials; dbURL comes from withDatabase, so
// it parses.
func withLogin(dbURL, user, password string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return ""
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

func parsePostgresURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Not echoing raw: it may hold a password.
		return nil, errors.New("database URL must be a postgres:// URL")
	}
	return u, nil
}

// describeURL names user, host and database without the password, for
// messages.
func describeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	who := ""
	if u.User != nil {
		who = u.User.Username() + "@"
	}
	host := u.Host
	if host == "" {
		host = u.Query().Get("host")
	}
	return who + host + u.Path
}
