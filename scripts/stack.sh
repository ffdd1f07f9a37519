#!/usr/bin/env bash
# The embedded development stack: the pinned Temporal CLI dev server (with the Web UI and
# Casework's search attributes) and a private PostgreSQL cluster, both under .dev/ (ignored
# by git). Idempotent: what is already running is reused.
#
#   scripts/stack.sh up      install what is missing, start both, write .dev/env
#   scripts/stack.sh down    stop both (their data stays in .dev/)
#   scripts/stack.sh env     print the settings (source-able)
#
# DATABASE_URL, when set, is used instead of the private cluster. TEMPORAL_ADDRESS, when
# set, is used instead of the dev server.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dev="$root/.dev"
tools="$root/.tools/bin"
temporal_version=v1.5.1
temporal_port=${CASEWORK_TEMPORAL_PORT:-7233}
ui_port=${CASEWORK_UI_PORT:-8233}
test_namespace=casework-test # the tests' own namespace: a demo worker never takes their tasks
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_dir="$dev/pg"
search_attributes=(CaseStage=Keyword CaseOutcome=Keyword PendingAction=Keyword AssignedAgents=KeywordList
  DaysPastDue=Int AmountDue=Int Region=Keyword NextDeadline=Datetime CaseFlags=KeywordList)

log() { echo "stack: $*" >&2; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_temporal() {
  if [ -x "$tools/temporal" ]; then return; fi
  log "installing the Temporal CLI $temporal_version into .tools/bin (go install; a few minutes the first time)"
  mkdir -p "$tools"
  GOBIN="$tools" go install "github.com/temporalio/cli/cmd/temporal@$temporal_version"
}

start_temporal() {
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then log "using Temporal at $TEMPORAL_ADDRESS"; return; fi
  install_temporal
  mkdir -p "$dev/temporal"
  if ! listening "$temporal_port"; then
    log "starting the Temporal dev server on :$temporal_port (Web UI on :$ui_port, data in .dev/temporal)"
    local args=(server start-dev --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port"
      --db-filename "$dev/temporal/temporal.db" --log-level warn --namespace default --namespace "$test_namespace")
    for sa in "${search_attributes[@]}"; do args+=(--search-attribute "$sa"); done
    nohup "$tools/temporal" "${args[@]}" >"$dev/temporal/server.log" 2>&1 &
    echo $! >"$dev/temporal/pid"
  fi
  for _ in $(seq 1 120); do
    if "$tools/temporal" operator cluster health --address "127.0.0.1:$temporal_port" >/dev/null 2>&1; then
      register_search_attributes
      return
    fi
    sleep 0.5
  done
  log "the Temporal dev server did not come up; see .dev/temporal/server.log"; tail -20 "$dev/temporal/server.log" >&2; exit 1
}

# A dev server started from an older data file may lack a namespace or attributes: add them.
register_search_attributes() {
  local addr="127.0.0.1:$temporal_port"
  for ns in default "$test_namespace"; do
    if ! "$tools/temporal" operator namespace describe --address "$addr" -n "$ns" >/dev/null 2>&1; then
      "$tools/temporal" operator namespace create --address "$addr" -n "$ns" >/dev/null
    fi
    local have=""
    for _ in $(seq 1 60); do # a new namespace takes a few seconds to be served
      if have=$("$tools/temporal" operator search-attribute list --address "$addr" -n "$ns" 2>/dev/null); then break; fi
      sleep 0.5
    done
    for sa in "${search_attributes[@]}"; do
      local name=${sa%%=*} type=${sa#*=}
      if ! grep -qw "$name" <<<"$have"; then
        "$tools/temporal" operator search-attribute create --address "$addr" -n "$ns" --name "$name" --type "$type" >/dev/null
      fi
    done
  done
}

pg_run() { runuser -u postgres -- "$@"; }

start_postgres() {
  if [ -n "${DATABASE_URL:-}" ] && [ "${CASEWORK_PRIVATE_PG:-}" != 1 ]; then log "using DATABASE_URL"; return; fi
  if [ -z "$pg_bin" ]; then
    log "PostgreSQL is not installed: apt-get install -y postgresql (or set DATABASE_URL)"; exit 1
  fi
  mkdir -p "$pg_dir"
  # the postgres user must reach the cluster's folder
  local d="$pg_dir"
  while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  chown postgres: "$pg_dir"
  if [ ! -s "$pg_dir/data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in .dev/pg"
    pg_run "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log"
  fi
  if [ ! -s "$pg_dir/port" ]; then
    local port=55432
    while listening "$port"; do port=$((port + 1)); done
    echo "$port" >"$pg_dir/port"
  fi
  local port; port=$(cat "$pg_dir/port")
  if ! pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1; then
    if listening "$port"; then
      log "port $port is taken by another program: remove .dev/pg/port to pick a free one"; exit 1
    fi
    log "starting PostgreSQL on 127.0.0.1:$port"
    mkdir -p "$pg_dir/run" && chown postgres: "$pg_dir/run"
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir/run -c max_connections=200 -c fsync=off -c synchronous_commit=off" start >/dev/null
  fi
  for db in casework casework_test; do
    if ! pg_run "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      pg_run "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    fi
  done
}

stop_all() {
  if [ -s "$dev/worker.pid" ] && kill -0 "$(cat "$dev/worker.pid")" 2>/dev/null; then
    kill "$(cat "$dev/worker.pid")"; log "stopped the worker"
  fi
  if [ -s "$dev/temporal/pid" ] && kill -0 "$(cat "$dev/temporal/pid")" 2>/dev/null; then
    kill "$(cat "$dev/temporal/pid")"; log "stopped the Temporal dev server"
  fi
  if [ -n "$pg_bin" ] && [ -s "$pg_dir/data/PG_VERSION" ]; then
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 && log "stopped PostgreSQL" || true
  fi
}

print_env() {
  local db=${1:-casework} ns=${2:-default}
  if [ -n "${DATABASE_URL:-}" ] && [ "${CASEWORK_PRIVATE_PG:-}" != 1 ]; then
    echo "export DATABASE_URL='$DATABASE_URL'"
  else
    echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$(cat "$pg_dir/port")/$db?sslmode=disable'"
  fi
  echo "export TEMPORAL_ADDRESS='${TEMPORAL_ADDRESS:-127.0.0.1:$temporal_port}'"
  echo "export TEMPORAL_NAMESPACE='${TEMPORAL_NAMESPACE:-$ns}'"
  echo "export PATH=\"$tools:$root/bin:\$PATH\""
}

case "${1:-up}" in
  up)
    start_postgres
    start_temporal
    print_env casework >"$dev/env"
    print_env casework_test "$test_namespace" >"$dev/test-env"
    log "ready: source .dev/env; Web UI http://127.0.0.1:$ui_port"
    ;;
  down) stop_all ;;
  env) print_env "${2:-casework}" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
