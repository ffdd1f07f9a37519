#!/usr/bin/env bash
# PostgreSQL's first initialization for docker-compose.yml: run once, on an empty data
# volume, by the postgres image as its superuser (/docker-entrypoint-initdb.d). It creates
# the roles and Casework's database (DESIGN.md "Who may do what"):
#
#   temporal        owns Temporal's databases (temporal-schema creates them): may create databases
#   casework_owner  owns the casework database and runs the migrations (MIGRATION_DATABASE_URL)
#   casework_app    the programs' runtime role (DATABASE_URL): no superuser, creates nothing;
#                   the migrations grant it what it may do (store/grants.sql)
#
# None is a superuser. The passwords come from TEMPORAL_DB_PASSWORD, CASEWORK_OWNER_PASSWORD
# and CASEWORK_APP_PASSWORD, or from the files named by the same variables with _FILE
# appended (Docker secrets); without one the initialization fails, and the container with it.
# A data volume initialized earlier keeps its roles and passwords: change one with
# ALTER ROLE ... PASSWORD as the superuser, or start again from an empty volume.
#
# The image runs this script, or sources it when it is not executable: it changes no shell
# option and leaves no variable behind.

# casework_secret NAME prints the value of NAME, or the contents of the file named by
# NAME_FILE (without its trailing newlines); it fails when neither is set or both are.
casework_secret() {
	local name=$1 file_var="${1}_FILE"
	local value=${!name:-} file=${!file_var:-}
	if [ -n "$value" ] && [ -n "$file" ]; then
		echo "create-casework-db.sh: $name and $file_var are both set: set one" >&2
		return 1
	fi
	if [ -n "$file" ]; then
		value=$(cat "$file") || return 1
	fi
	if [ -z "$value" ]; then
		echo "create-casework-db.sh: $name (or $file_var) is not set: no default password" >&2
		return 1
	fi
	printf '%s' "$value"
}

casework_temporal_pw=$(casework_secret TEMPORAL_DB_PASSWORD) || exit 1
casework_owner_pw=$(casework_secret CASEWORK_OWNER_PASSWORD) || exit 1
casework_app_pw=$(casework_secret CASEWORK_APP_PASSWORD) || exit 1

# psql variables (:'name') quote the passwords, whatever characters they hold
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --no-password --no-psqlrc --dbname postgres \
	-v temporal_pw="$casework_temporal_pw" -v owner_pw="$casework_owner_pw" -v app_pw="$casework_app_pw" <<'SQL' || exit 1
CREATE ROLE temporal LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'temporal_pw';
CREATE ROLE casework_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_pw';
CREATE ROLE casework_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_pw';

-- Casework's own database beside Temporal's, on the same server, owned by casework_owner;
-- only Casework's roles connect to it.
CREATE DATABASE casework OWNER casework_owner;
REVOKE ALL ON DATABASE casework FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE casework TO casework_app;

\connect casework
ALTER SCHEMA public OWNER TO casework_owner;
SQL

unset -v casework_temporal_pw casework_owner_pw casework_app_pw
unset -f casework_secret
echo "create-casework-db.sh: roles temporal, casework_owner, casework_app and database casework created"
