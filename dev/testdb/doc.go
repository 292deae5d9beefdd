// Package testdb gives every Go test package its own fresh, migrated database
// on a real PostgreSQL server. Tests never run against a mock database.
//
// # Usage
//
// A test package that needs PostgreSQL is an external test package and holds
// the handle itself:
//
//	package foo_test
//
//	var tdb *testdb.Database
//
//	func TestMain(m *testing.M) { testdb.Main(m, &tdb) }
//
// Production code under test connects with tdb.AppURL: a per-database LOGIN
// role that is a member of taskbridge_runtime and nothing more, exactly like
// the server in production. tdb.AdminURL is the superuser (or, with a
// TEST_DATABASE_URL role that is not one, the table owner; see
// AdminIsSuperuser) that ran the migrations, for setting up and inspecting
// state; tdb.Admin(t) opens such a connection and tdb.Reset(t) empties every
// table between tests.
// NewMigrated and NewEmpty create further databases on the same server for
// tests that need one of their own (migration tests, for example).
//
// # Which server
//
// Main picks the first server that works, in this order, and prints one line
// to stderr saying which it used:
//
//  1. TEST_DATABASE_URL, when set: a postgres:// URL of a superuser, or of a
//     role with CREATEDB and CREATEROLE. If it is set but unusable the tests
//     fail rather than silently testing somewhere else.
//  2. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, when a
//     connection succeeds within about two seconds (a local development
//     server with trust authentication).
//  3. A throwaway cluster (see NewCluster): initdb into a temporary directory,
//     started with pg_ctl on a free 127.0.0.1 port, stopped and deleted when
//     the test binary ends. It needs the PostgreSQL server binaries (Debian
//     and Ubuntu: apt-get install postgresql), found on PATH or under
//     /usr/lib/postgresql/*/bin, highest version first.
//
// Setting TESTDB_FORCE_CLUSTER=1 skips steps 1 and 2, so the throwaway path
// can be exercised on a machine that also has a server.
//
// # Isolation and clean-up
//
// Each test binary gets a database tb_<package>_<random> and a login role
// tb_app_<random> with a random password; go test runs packages in parallel,
// so nothing is shared except the cluster-wide NOLOGIN role
// taskbridge_runtime, which the migrations create idempotently. At the end
// the database is dropped WITH (FORCE) and the role dropped. Ctrl-C and
// SIGTERM run the same clean-up and end the run, so a test must not signal
// its own process (cancel a context instead). A binary that dies without cleaning up (a
// test timeout panics) leaves its database and role, or its throwaway
// cluster, behind; the next run on the same host removes those whose owning
// process no longer exists.
package testdb
