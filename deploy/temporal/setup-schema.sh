#!/bin/sh
# Creates and migrates Temporal's two databases on PostgreSQL. Safe to run again. Run by
# temporal-schema in docker-compose.yml (the admin-tools image; SQL_PASSWORD from the
# environment) and by scripts/stack.sh up-server (the tool built with go install, the
# private cluster, the schema of the server's Go module).
#   SQL_TOOL    temporal-sql-tool (default: on PATH)
#   DB_HOST, DB_PORT, DB_USER   default postgresql, 5432, temporal
#   SCHEMA_DIR  the server's schema/postgresql/v12 (default: the admin-tools image's)
set -eu
tool() { "${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "${DB_HOST:-postgresql}" -p "${DB_PORT:-5432}" -u "${DB_USER:-temporal}" "$@"; }
schema=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  tool --db "$db" create || true # exists already on a second run
  tool --db "$db" setup-schema -v 0.0 || true
  tool --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schema ready"
