#!/usr/bin/env bash
# The dev stack's database entry point (docker-compose.yml, never production):
# it makes the stack's secrets on first start, so `docker compose up` needs
# no manual secret step, then hands over to the postgres image's own entry
# point. Production (deploy/) takes every secret from the operator instead.
#
# The secrets live in the dev-secrets volume, one directory per reader, each
# readable only by the account that reads it:
#
#   db/       postgres (uid of the image's postgres user), 0700
#     postgres-password, owner-password, app-password
#   migrate/  uid 65533, gid 65533, 0750 (the ops service joins gid 65533)
#     pgpass  libpq passfile: taskbridge_owner's password
#   app/      uid 65532 (the image's user), 0700
#     pgpass  libpq passfile: taskbridge_app's password
#     (the server adds its keys here: TASKBRIDGE_DEV_SECRETS_DIR)
#
# Passwords are 24 random bytes in hex, made here and never printed. The
# image runs this as root; docker-entrypoint.sh then drops to postgres.
set -Eeuo pipefail

root="${TASKBRIDGE_DEV_SECRETS_ROOT:?TASKBRIDGE_DEV_SECRETS_ROOT must name the dev-secrets volume}"
umask 077

new_password() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

# keep FILE COMMAND...: unless FILE already has content, write COMMAND's
# output to it, whole (a reader never sees half a file).
keep() {
	local file=$1
	shift
	[[ -s "$file" ]] || { "$@" >"$file.new" && mv "$file.new" "$file"; }
}
# passfile ROLE PASSWORD_FILE: a libpq passfile line for ROLE.
passfile() { printf '*:*:taskbridge:%s:%s\n' "$1" "$(<"$2")"; }

mkdir -p "$root/db" "$root/migrate" "$root/app"
keep "$root/db/postgres-password" new_password
keep "$root/db/owner-password" new_password
keep "$root/db/app-password" new_password
keep "$root/migrate/pgpass" passfile taskbridge_owner "$root/db/owner-password"
keep "$root/app/pgpass" passfile taskbridge_app "$root/db/app-password"

chown -R postgres:postgres "$root/db"
chown -R 65533:65533 "$root/migrate"
chown 65532:65532 "$root/app" "$root/app/pgpass"
chmod 0711 "$root"
chmod 0700 "$root/db" "$root/app"
chmod 0750 "$root/migrate"
chmod 0640 "$root/migrate/pgpass"
chmod 0600 "$root/app/pgpass" "$root"/db/*

# deploy/postgres/init-roles.sh reads the role passwords from the
# environment, and runs only on an empty data directory: only then are they
# exported.
if [[ ! -s "${PGDATA:-/var/lib/postgresql/data}/PG_VERSION" ]]; then
	TASKBRIDGE_OWNER_DB_PASSWORD="$(<"$root/db/owner-password")"
	TASKBRIDGE_APP_DB_PASSWORD="$(<"$root/db/app-password")"
	export TASKBRIDGE_OWNER_DB_PASSWORD TASKBRIDGE_APP_DB_PASSWORD
fi
export POSTGRES_PASSWORD_FILE="$root/db/postgres-password"
exec docker-entrypoint.sh "$@"
