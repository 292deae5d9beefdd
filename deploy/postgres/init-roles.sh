#!/usr/bin/env bash
# Creates taskbridge's database roles and database (least privilege, P2).
#
# The postgres image runs this once, as the superuser, from
# /docker-entrypoint-initdb.d when the data directory is empty. Afterwards
# nothing of taskbridge connects as a superuser:
#
#   taskbridge_owner    LOGIN    owns the database and its tables; runs migrations
#   taskbridge_runtime  NOLOGIN  group role; the migrations grant it only DML
#   taskbridge_app      LOGIN    member of taskbridge_runtime; what the server uses
#
# Passwords come from the environment. psql reads them with \getenv (so they
# are not on any command line) and quotes them with :'var' (so no value can
# change the SQL). The image may source this file rather than execute it, so it
# neither calls exit nor changes shell options beyond the entrypoint's own.
set -Eeo pipefail

: "${TASKBRIDGE_OWNER_DB_PASSWORD:?TASKBRIDGE_OWNER_DB_PASSWORD must be set (see .env.example)}"
: "${TASKBRIDGE_APP_DB_PASSWORD:?TASKBRIDGE_APP_DB_PASSWORD must be set (see .env.example)}"

# Quoted delimiter: the shell expands nothing inside the SQL.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
\getenv owner_password TASKBRIDGE_OWNER_DB_PASSWORD
\getenv app_password TASKBRIDGE_APP_DB_PASSWORD

CREATE ROLE taskbridge_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';

-- Migration 0001 creates this role too when it is missing (other installs);
-- here it exists first so taskbridge_app can join it.
CREATE ROLE taskbridge_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- NOINHERIT: the login role holds nothing until the pool's SET ROLE
-- taskbridge_runtime, so no privilege is reachable outside that role.
CREATE ROLE taskbridge_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    IN ROLE taskbridge_runtime
    PASSWORD :'app_password';

CREATE DATABASE taskbridge OWNER taskbridge_owner;

-- By default every role may connect to every database and create temporary
-- tables. The login roles reach only taskbridge, and create nothing there.
REVOKE ALL ON DATABASE taskbridge FROM PUBLIC;
GRANT CONNECT ON DATABASE taskbridge TO taskbridge_app;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC;

\connect taskbridge
-- PostgreSQL 15 already withholds CREATE on schema public; say so explicitly.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
