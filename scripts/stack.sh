#!/usr/bin/env bash
# The embedded development stack: the pinned Temporal CLI dev server (with the Web UI and
# Casework's search attributes) and a private PostgreSQL cluster, both under .dev/ (ignored
# by git). Idempotent: what is already running is reused.
#
#   scripts/stack.sh up         install what is missing, start both, write .dev/env
#   scripts/stack.sh up-server  the production topology beside it: the Temporal server
#                               (go.temporal.io/server, pinned) on the same PostgreSQL, with
#                               several history shards; writes .dev/server-env
#   scripts/stack.sh down       stop everything (the data stays in .dev/)
#   scripts/stack.sh env        print the settings (source-able)
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
metrics_port=${CASEWORK_TEMPORAL_METRICS_PORT:-8234} # the dev server's Prometheus metrics
# the Temporal server of docker-compose.yml (its version in .env), built from its Go module
server_version=v$(sed -n 's/^TEMPORAL_VERSION=//p' "$root/.env")
server_port=${CASEWORK_SERVER_PORT:-17233} # its frontend; its other services take the next ports
server_shards=${CASEWORK_SERVER_SHARDS:-4}
# single: the server's services in one process; split: frontend, two history hosts,
# matching and worker as five processes (the scale-out configuration of make bench)
server_services=${CASEWORK_SERVER_SERVICES:-single}
test_namespace=casework-test # the tests' own namespace: a demo worker never takes their tasks
bench_namespace=casework-bench # the benchmarks' own (they terminate what they find running there)
pg_dir="$dev/pg"

# The PostgreSQL server's programs (initdb, pg_ctl, psql, createdb): PG_BIN when set, else
# initdb on PATH, else pg_config --bindir, else the usual places of Debian and Ubuntu,
# Fedora and RHEL (PGDG), Homebrew and a source build; the newest version first.
find_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local c candidates=()
  # initdb on PATH may be a link into the server's folder (where psql and createdb are too)
  if c=$(command -v initdb 2>/dev/null); then candidates+=("$(dirname "$c")" "$(dirname "$(readlink -f "$c")")"); fi
  if c=$(pg_config --bindir 2>/dev/null); then candidates+=("$c"); fi
  candidates+=($(ls -d /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /opt/homebrew/opt/postgresql@*/bin \
    /usr/local/opt/postgresql@*/bin /opt/homebrew/opt/postgresql/bin /usr/local/opt/postgresql/bin \
    /usr/local/pgsql/bin 2>/dev/null | sort -V -r))
  for c in "${candidates[@]}"; do
    if [ -x "$c/initdb" ] && [ -x "$c/pg_ctl" ] && [ -x "$c/psql" ] && [ -x "$c/createdb" ]; then echo "$c"; return; fi
  done
}
pg_bin=$(find_pg_bin || true)
# the server's settings: loopback TCP only (no Unix socket: its folder's path could be too
# long, and the system's socket folder is not ours), room for the benchmarks, no fsync (a
# development cluster)
pg_opts() { echo "-c listen_addresses=127.0.0.1 -p $(cat "$pg_dir/port") -c unix_socket_directories= -c max_connections=200 -c fsync=off -c synchronous_commit=off"; }
# the case's search attributes: deploy/'s list, generated from contract.SearchAttributes
search_attributes=()
while read -r name type; do
  if [ -n "$name" ]; then search_attributes+=("$name=$type"); fi
done < <(grep -v '^#' "$root/deploy/temporal/search-attributes.txt")

api_addr=${CASEWORK_API_ADDR:-127.0.0.1:8088} # bin/api: the agents' API, the web console and the codec server

log() { echo "stack: $*" >&2; }

# Secrets of the development stack, made once under .dev/ (ignored by git, readable by its
# owner only): the payload codec's AES-256 key and the operations credential of the codec
# server. Production supplies its own (see the README's Security section).
make_secrets() {
  mkdir -p "$dev"
  if [ ! -s "$dev/codec-keys" ]; then
    log "generating a development payload key in .dev/codec-keys"
    (umask 077 && printf 'dev-%s:%s\n' "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >"$dev/codec-keys")
  fi
  if [ ! -s "$dev/ops-secret" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_' >"$dev/ops-secret")
  fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_temporal() {
  if [ -x "$tools/temporal" ]; then return; fi
  log "installing the Temporal CLI $temporal_version into .tools/bin (go install; a few minutes the first time)"
  mkdir -p "$tools"
  GOBIN="$tools" go install "github.com/temporalio/cli/cmd/temporal@$temporal_version"
}

# deploy/temporal/dynamicconfig/casework.yaml as KEY=VALUE lines
dynamic_config_values() {
  awk '/^[A-Za-z][^ ]*:[[:space:]]*$/ { key = $1; sub(/:$/, "", key) } /^  - value: / { print key "=" $3 }' \
    "$root/deploy/temporal/dynamicconfig/casework.yaml"
}

start_temporal() {
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then log "using Temporal at $TEMPORAL_ADDRESS"; return; fi
  install_temporal
  mkdir -p "$dev/temporal"
  if ! listening "$temporal_port"; then
    log "starting the Temporal dev server on :$temporal_port (Web UI on :$ui_port, data in .dev/temporal)"
    local args=(server start-dev --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port"
      --db-filename "$dev/temporal/temporal.db" --log-level warn --namespace default --namespace "$test_namespace" --namespace "$bench_namespace"
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
    # deploy/'s dynamic config, which the dev server takes key by key (it reads no file):
    # one value per key, no constraints (deploy's TestDynamicConfigIsFlat holds it to that)
    local kvs; kvs=$(dynamic_config_values) # a failure stops here (set -e), not the server without its config
    while IFS= read -r kv; do if [ -n "$kv" ]; then args+=(--dynamic-config-value "$kv"); fi; done <<<"$kvs"
    for sa in "${search_attributes[@]}"; do args+=(--search-attribute "$sa"); done
    # its metrics for the benchmarks; a port taken by something else leaves them out (the
    # CLI would refuse to start)
    if listening "$metrics_port"; then log "port $metrics_port is taken: the dev server serves no metrics"; else args+=(--metrics-port "$metrics_port"); fi
    args+=(--ui-codec-endpoint "http://$api_addr/codec") # bin/api's codec server decodes for the Web UI
    nohup "$tools/temporal" "${args[@]}" >"$dev/temporal/server.log" 2>&1 &
    echo $! >"$dev/temporal/pid"
  else
    log "the Temporal dev server on :$temporal_port runs already, with the settings it was started with (down, then up, restarts it)"
  fi
  for _ in $(seq 1 120); do
    if "$tools/temporal" operator cluster health --address "127.0.0.1:$temporal_port" >/dev/null 2>&1; then
      register_search_attributes "127.0.0.1:$temporal_port"
      return
    fi
    sleep 0.5
  done
  log "the Temporal dev server did not come up; see .dev/temporal/server.log"; tail -20 "$dev/temporal/server.log" >&2; exit 1
}

# Casework's namespaces and search attributes, added where missing (a dev server started
# from an older data file, or a new Temporal server), by deploy/'s script, as compose does.
register_search_attributes() {
  TEMPORAL="$tools/temporal" TEMPORAL_ADDRESS=$1 NAMESPACE="default $test_namespace $bench_namespace" \
    sh "$root/deploy/temporal/setup-namespace.sh" >/dev/null
}

# The production topology without Docker: the same Temporal server as docker-compose.yml
# (its version in .env, here built with go install), its schema set up by its own SQL tool
# on the private PostgreSQL cluster (databases temporal and temporal_visibility), several
# history shards, and the same dynamic config (deploy/temporal/dynamicconfig). The
# binaries are named by version: changing .env's builds the new one.
server_bin="$tools/temporal-server-$server_version"
sql_tool="$tools/temporal-sql-tool-$server_version"
install_server() {
  if [ ! -x "$server_bin" ]; then
    log "building the Temporal server $server_version into .tools/bin (go install; 5-10 minutes the first time)"
    mkdir -p "$tools"
    GOBIN="$tools" go install "go.temporal.io/server/cmd/server@$server_version"
    mv "$tools/server" "$server_bin"
  fi
  if [ ! -x "$sql_tool" ]; then
    log "building its schema tool"
    GOBIN="$tools" go install "go.temporal.io/server/cmd/tools/sql@$server_version"
    mv "$tools/sql" "$sql_tool"
  fi
}

# Temporal's two databases, by deploy/'s script (as compose's temporal-schema runs it),
# with the schema tool built here and the schema of the server's Go module.
server_schema() {
  local src; src=$(cd /tmp && go mod download -json "go.temporal.io/server@$server_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  SQL_TOOL="$sql_tool" DB_HOST=127.0.0.1 DB_PORT=$(cat "$pg_dir/port") DB_USER=postgres \
    SCHEMA_DIR="$src/schema/postgresql/v12" sh "$root/deploy/temporal/setup-schema.sh" >>"$dev/temporal-server/schema.log" 2>&1 ||
    { log "Temporal's schema could not be set up; see .dev/temporal-server/schema.log"; tail -20 "$dev/temporal-server/schema.log" >&2; exit 1; }
}

server_config() {
  local port; port=$(cat "$pg_dir/port") certs="$dev/certs"
  local p=$server_port conf="$dev/temporal-server/config"
  mkdir -p "$conf/dynamicconfig"
  cp "$root/deploy/temporal/dynamicconfig/casework.yaml" "$conf/dynamicconfig/casework.yaml"
  local store
  store() { cat <<YAML
      sql:
        pluginName: postgres12
        databaseName: $1
        connectAddr: "127.0.0.1:$port"
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: 1h
YAML
  }
  svc() { cat <<YAML
  $1:
    rpc:
      grpcPort: $2
      membershipPort: $3
      bindOnLocalHost: true
YAML
  }
  {
    cat <<YAML
# Written by scripts/stack.sh up-server: the production topology of docker-compose.yml.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: $server_shards
  datastores:
    default:
$(store temporal 20)
    visibility:
$(store temporal_visibility 10)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  tls: # mutual TLS everywhere: a client without a certificate of the development CA is refused
    internode:
      server: {certFile: "$certs/server.pem", keyFile: "$certs/server-key.pem", requireClientAuth: true, clientCaFiles: ["$certs/ca.pem"]}
      client: {serverName: 127.0.0.1, rootCaFiles: ["$certs/ca.pem"]}
    frontend:
      server: {certFile: "$certs/server.pem", keyFile: "$certs/server-key.pem", requireClientAuth: true, clientCaFiles: ["$certs/ca.pem"]}
      client: {serverName: 127.0.0.1, rootCaFiles: ["$certs/ca.pem"]}
    systemWorker:
      certFile: "$certs/client.pem"
      keyFile: "$certs/client-key.pem"
      client: {serverName: 127.0.0.1, rootCaFiles: ["$certs/ca.pem"]}
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:$((p + 767))"
services:
$(svc frontend "$p" $((p - 300)))
      httpPort: $((p + 10))
$(svc history $((p + 1)) $((p - 299)))
$(svc matching $((p + 2)) $((p - 298)))
$(svc worker $((p + 6)) $((p - 294)))
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$p"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$conf/dynamicconfig/casework.yaml"
  pollInterval: 10s
YAML
  } >"$conf/casework.yaml"
}

# Development certificates of the production topology's mutual TLS (deploy/gencerts): a
# CA, the server's certificate for 127.0.0.1 and localhost, and the programs' client
# certificate; the clients find them through the SDK's and the CLI's TEMPORAL_TLS_*.
make_certs() {
  if [ ! -s "$dev/certs/client.pem" ]; then
    log "generating development certificates for mTLS in .dev/certs"
    (cd "$root" && go run ./deploy/gencerts -out "$dev/certs" -hosts 127.0.0.1,localhost -days 365 >/dev/null)
  fi
  export TEMPORAL_TLS_CLIENT_CERT_PATH="$dev/certs/client.pem" TEMPORAL_TLS_CLIENT_KEY_PATH="$dev/certs/client-key.pem"
  export TEMPORAL_TLS_SERVER_CA_CERT_PATH="$dev/certs/ca.pem" TEMPORAL_TLS_SERVER_NAME=127.0.0.1
}

tls_env() {
  echo "export TEMPORAL_TLS_CLIENT_CERT_PATH='$dev/certs/client.pem'"
  echo "export TEMPORAL_TLS_CLIENT_KEY_PATH='$dev/certs/client-key.pem'"
  echo "export TEMPORAL_TLS_SERVER_CA_CERT_PATH='$dev/certs/ca.pem'"
  echo "export TEMPORAL_TLS_SERVER_NAME=127.0.0.1"
}

start_server() {
  if [ -n "${DATABASE_URL:-}" ] && [ "${CASEWORK_PRIVATE_PG:-}" != 1 ]; then
    log "up-server runs on the private PostgreSQL cluster: unset DATABASE_URL"; exit 1
  fi
  install_temporal # its CLI registers the namespaces
  install_server
  make_certs
  local s="$dev/temporal-server"
  mkdir -p "$s"
  if [ -s "$s/services" ] && [ "$(cat "$s/services")" != "$server_services" ] && listening "$server_port"; then
    log "the Temporal server runs as $(cat "$s/services") processes: restarting it $server_services"
    stop_server
    for _ in $(seq 1 120); do listening "$server_port" || break; sleep 0.25; done
  fi
  if ! listening "$server_port"; then
    server_schema
    server_config
    rm -f "$s/pids"
    if [ "$server_services" = split ]; then
      split_configs
      log "starting the Temporal server $server_version on :$server_port as five processes (frontend, 2 history, matching, worker; $server_shards shards, on PostgreSQL)"
      for svc in frontend history history2 matching worker; do
        local service=${svc%2}
        nohup "$server_bin" --root "$s" --config config --env "casework-$svc" --allow-no-auth start --service "$service" >"$s/$svc.log" 2>&1 &
        echo $! >>"$s/pids"
      done
    else
      log "starting the Temporal server $server_version on :$server_port ($server_shards history shards, on PostgreSQL)"
      nohup "$server_bin" --root "$s" --config config --env casework --allow-no-auth start >"$s/server.log" 2>&1 &
      echo $! >"$s/pids"
    fi
    echo "$server_services" >"$s/services"
  fi
  for _ in $(seq 1 240); do
    if "$tools/temporal" operator cluster health --address "127.0.0.1:$server_port" >/dev/null 2>&1; then
      register_search_attributes "127.0.0.1:$server_port"
      return
    fi
    if [ -s "$s/pids" ]; then
      local dead=""
      while read -r pid; do kill -0 "$pid" 2>/dev/null || dead=$pid; done <"$s/pids"
      if [ -n "$dead" ]; then break; fi
    fi
    sleep 0.5
  done
  log "the Temporal server did not come up; see .dev/temporal-server/*.log"; tail -n 30 "$s"/*.log >&2; exit 1
}

# server_metrics lists the server's /metrics, host:port of each process (split_configs'
# ports when split).
server_metrics() {
  local p=$server_port
  if [ "$server_services" = split ]; then
    echo "127.0.0.1:$((p + 770)),127.0.0.1:$((p + 771)),127.0.0.1:$((p + 772)),127.0.0.1:$((p + 773)),127.0.0.1:$((p + 774))"
  else
    echo "127.0.0.1:$((p + 767))"
  fi
}

# split_configs writes one configuration per process of the split server: each its own
# metrics port, and the second history host its own ports (the others are the same file's).
split_configs() {
  local conf="$dev/temporal-server/config" p=$server_port i=0
  for svc in frontend history history2 matching worker; do
    sed -e "s/listenAddress: \"127.0.0.1:$((p + 767))\"/listenAddress: \"127.0.0.1:$((p + 770 + i))\"/" "$conf/casework.yaml" >"$conf/casework-$svc.yaml"
    i=$((i + 1))
  done
  # the second history host: its gRPC and membership ports
  sed -i -e "/^  history:/,/^  [a-z]*:$/ s/grpcPort: $((p + 1))$/grpcPort: $((p + 3))/" \
    -e "/^  history:/,/^  [a-z]*:$/ s/membershipPort: $((p - 299))$/membershipPort: $((p - 297))/" "$conf/casework-history2.yaml"
}

# pg_run runs a PostgreSQL program: as the current user, or, as root (which initdb and
# postgres refuse), as the system's postgres user.
pg_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  if [ -n "${DATABASE_URL:-}" ] && [ "${CASEWORK_PRIVATE_PG:-}" != 1 ]; then log "using DATABASE_URL"; return; fi
  if [ -z "$pg_bin" ]; then
    log "PostgreSQL's server programs (initdb, pg_ctl) were not found on PATH, by pg_config, or in the usual places."
    log "Install them (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server;"
    log "macOS: brew install postgresql@16), or set PG_BIN to their folder, or DATABASE_URL to a database of yours."
    exit 1
  fi
  mkdir -p "$pg_dir"
  if [ "$(id -u)" = 0 ]; then
    # root: the cluster runs as the postgres user, who must reach this folder; nothing
    # outside the checkout is changed to let it
    if ! id postgres >/dev/null 2>&1; then log "as root, the cluster runs as the user postgres, which does not exist"; exit 1; fi
    chown postgres: "$pg_dir"
    if ! runuser -u postgres -- test -w "$pg_dir"; then
      log "as root, the cluster runs as the user postgres, who cannot reach $pg_dir (a folder above it is closed to others)."
      log "Run as an ordinary user, or clone where others may enter, or set DATABASE_URL."
      exit 1
    fi
  fi
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
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o "$(pg_opts)" start >/dev/null
  fi
  casework_roles "$port"
  for db in casework casework_test casework_servertest casework_bench; do
    if ! pg_run "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      pg_run "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -O casework_owner "$db"
    fi
    casework_owns "$port" "$db"
  done
}

# The database's two roles (DESIGN.md "Who may do what"): casework_owner owns Casework's
# databases and runs the migrations (MIGRATION_DATABASE_URL); casework_app is the programs'
# runtime role (DATABASE_URL), granted by the migrations what it needs (store/grants.sql).
# Neither is a superuser. No passwords: the private cluster trusts the loopback;
# production gives its roles passwords, in its URLs. Temporal's databases are not touched.
casework_roles() {
  pg_run "$pg_bin/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA >/dev/null <<'SQL'
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['casework_owner', 'casework_app'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I', r);
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', r);
  END LOOP;
END
$$;
SQL
}

# A Casework database owned by casework_owner, and all in its schema public: databases made
# before the two roles had their tables, sequences, views and functions owned by postgres.
casework_owns() {
  local port=$1 db=$2
  pg_run "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qtA >/dev/null <<SQL
ALTER DATABASE "$db" OWNER TO casework_owner;
ALTER SCHEMA public OWNER TO casework_owner;
DO \$\$
DECLARE r record;
BEGIN
  -- tables first: their indexes and the sequences of their serial columns go with them
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'f')
             AND c.relowner = 'postgres'::regrole LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO casework_owner', r.name);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
             ELSE 'MATERIALIZED VIEW' END AS kind FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('S', 'v', 'm')
             AND c.relowner = 'postgres'::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO casework_owner', r.kind, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = 'postgres'::regrole LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO casework_owner', r.name);
  END LOOP;
END
\$\$;
SQL
}

# stop_server stops the Temporal server's processes (one, or five when split), and waits
# until they are gone (their ports free for the next start).
stop_server() {
  local s="$dev/temporal-server" pids=()
  for f in "$s/pid" "$s/pids"; do
    [ -s "$f" ] || continue
    while read -r pid; do
      if kill -0 "$pid" 2>/dev/null; then kill "$pid"; pids+=("$pid"); fi
    done <"$f"
    rm -f "$f"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 1 120); do
    local alive=""
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -n "$alive" ] || break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  log "stopped the Temporal server"
}

stop_all() {
  if [ -s "$dev/worker.pid" ] && kill -0 "$(cat "$dev/worker.pid")" 2>/dev/null; then
    kill "$(cat "$dev/worker.pid")"; log "stopped the worker"
  fi
  if [ -s "$dev/api.pid" ] && kill -0 "$(cat "$dev/api.pid")" 2>/dev/null; then
    kill "$(cat "$dev/api.pid")"; log "stopped the API"
  fi
  if [ -s "$dev/temporal/pid" ] && kill -0 "$(cat "$dev/temporal/pid")" 2>/dev/null; then
    kill "$(cat "$dev/temporal/pid")"; log "stopped the Temporal dev server"
  fi
  stop_server
  if [ -n "$pg_bin" ] && [ -s "$pg_dir/data/PG_VERSION" ]; then
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 && log "stopped PostgreSQL" || true
  fi
}

print_env() {
  local db=${1:-casework} ns=${2:-default} port=${3:-$temporal_port}
  if [ -n "${DATABASE_URL:-}" ] && [ "${CASEWORK_PRIVATE_PG:-}" != 1 ]; then
    echo "export DATABASE_URL='$DATABASE_URL'"
    echo "export MIGRATION_DATABASE_URL='${MIGRATION_DATABASE_URL:-$DATABASE_URL}'"
  else # the programs connect as the runtime role, the migrations as the owner
    echo "export DATABASE_URL='postgres://casework_app@127.0.0.1:$(cat "$pg_dir/port")/$db?sslmode=disable'"
    echo "export MIGRATION_DATABASE_URL='postgres://casework_owner@127.0.0.1:$(cat "$pg_dir/port")/$db?sslmode=disable'"
  fi
  echo "export TEMPORAL_ADDRESS='${TEMPORAL_ADDRESS:-127.0.0.1:$port}'"
  echo "export TEMPORAL_NAMESPACE='${TEMPORAL_NAMESPACE:-$ns}'"
  echo "export PATH=\"$tools:$root/bin:\$PATH\""
  # the development stack is a declared simulation (short case days; the whole day open for
  # contact, which the demo's driven cases narrow to the legal window): never a deployment
  echo "export CASEWORK_POLICY='{\"simulation\": true, \"contactStartHour\": 0, \"contactEndHour\": 24}'"
  echo "export CASEWORK_CODEC_KEYS_FILE='$dev/codec-keys'"
  echo "export CASEWORK_OPS_SECRET_FILE='$dev/ops-secret'"
  echo "export CASEWORK_API_URL='http://$api_addr'"
  echo "export TEMPORAL_CODEC_ENDPOINT='http://$api_addr/codec'"
  echo "export TEMPORAL_CODEC_AUTH='Bearer $(cat "$dev/ops-secret")'"
}

case "${1:-up}" in
  up)
    make_secrets
    start_postgres
    start_temporal
    print_env casework >"$dev/env"
    print_env casework_test "$test_namespace" >"$dev/test-env"
    print_env casework_bench "$bench_namespace" >"$dev/bench-env"
    if [ -z "${TEMPORAL_ADDRESS:-}" ]; then # the dev server's own (the benchmark checks they are)
      echo "export CASEWORK_SERVER_METRICS='127.0.0.1:$metrics_port'" >>"$dev/bench-env"
    fi
    log "ready: source .dev/env; Web UI http://127.0.0.1:$ui_port"
    ;;
  up-server)
    make_secrets
    start_postgres
    start_server
    print_env casework default "$server_port" >"$dev/server-env"
    print_env casework_servertest "$test_namespace" "$server_port" >"$dev/server-test-env"
    print_env casework_bench "$bench_namespace" "$server_port" >"$dev/server-bench-env"
    echo "export CASEWORK_TOPOLOGY=server" >>"$dev/server-bench-env"
    echo "export CASEWORK_SERVER_METRICS='$(server_metrics)'" >>"$dev/server-bench-env"
    for f in server-env server-test-env server-bench-env; do tls_env >>"$dev/$f"; done
    printf "export CASEWORK_TOPOLOGY=server\nexport CASEWORK_UI_PORT=none\n" >>"$dev/server-test-env"
    log "ready: source .dev/server-env (the Temporal server on :$server_port)"
    ;;
  reset-db) # a fresh, empty database (the benchmarks': each run takes accounts without a case)
    db=${2:?database name}; port=$(cat "$pg_dir/port")
    pg_run "$pg_bin/dropdb" -h 127.0.0.1 -p "$port" -U postgres --if-exists --force "$db"
    pg_run "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -O casework_owner "$db"
    ;;
  restart-pg) # the fault run: PostgreSQL restarted (fast shutdown: connections cut)
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 60 restart -o "$(pg_opts)" >/dev/null
    log "restarted PostgreSQL"
    ;;
  restart-temporal) # the fault run: the Temporal server restarted, its data kept
    if [ "${CASEWORK_TOPOLOGY:-dev}" = server ]; then
      stop_server
      for _ in $(seq 1 120); do listening "$server_port" || break; sleep 0.25; done
    elif [ -s "$dev/temporal/pid" ] && kill -0 "$(cat "$dev/temporal/pid")" 2>/dev/null; then
      pid=$(cat "$dev/temporal/pid"); kill "$pid"
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    unset DATABASE_URL TEMPORAL_ADDRESS
    if [ "${CASEWORK_TOPOLOGY:-dev}" = server ]; then start_server; else start_temporal; fi
    log "restarted the Temporal ${CASEWORK_TOPOLOGY:-dev} server"
    ;;
  down) stop_all ;;
  env) print_env "${2:-casework}" ;;
  *) echo "usage: $0 up|up-server|down|env|reset-db NAME|restart-pg|restart-temporal" >&2; exit 2 ;;
esac
