#!/bin/sh
# Creates and migrates Temporal's two databases on PostgreSQL (run by temporal-schema in
# docker-compose.yml, with the admin-tools image). Safe to run again.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal "$@"; }
schema=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  tool --db "$db" create || true # exists already on a second run
  tool --db "$db" setup-schema -v 0.0 || true
  tool --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schema ready"
