#!/bin/sh
# Creates the namespaces and Casework's search attributes (search-attributes.txt beside this
# script, generated from contract.SearchAttributes) where they are missing. Safe to run
# again. Run by temporal-setup in docker-compose.yml (the admin-tools image, over mTLS: the
# temporal CLI takes the address and the client certificate from the environment) and by
# scripts/stack.sh for the dev server and the production topology.
#   NAMESPACE         the namespaces, space-separated (default: default)
#   TEMPORAL_ADDRESS  the frontend (the CLI's default: 127.0.0.1:7233)
#   TEMPORAL          the temporal CLI (default: temporal on PATH)
#   RETENTION         a new namespace's retention (default 30d)
set -eu
dir=$(dirname "$0")
cli=${TEMPORAL:-temporal}
created=""
for ns in ${NAMESPACE:-default}; do
  "$cli" operator namespace describe -n "$ns" >/dev/null 2>&1 ||
    "$cli" operator namespace create -n "$ns" --retention "${RETENTION:-30d}" >/dev/null
  # a new namespace takes a few seconds to be served
  tries=0
  until have=$("$cli" operator search-attribute list -n "$ns" 2>/dev/null); do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then echo "namespace $ns is not served after 60 s" >&2; exit 1; fi
    sleep 0.5
  done
  made=$(grep -v '^#' "$dir/search-attributes.txt" | while read -r name type; do
    [ -n "$name" ] || continue
    if ! echo "$have" | grep -qw "$name"; then
      "$cli" operator search-attribute create -n "$ns" --name "$name" --type "$type" >/dev/null
      echo "$name"
    fi
  done)
  created="$created$made"
  echo "namespace $ns and its search attributes ready"
done
# On SQL visibility a new search attribute is an alias in its namespace's record, which each
# frontend and history service reads at its next namespace refresh (every 2 s by default):
# until then a start or an upsert naming it is refused. Wait that out before anyone starts.
if [ -n "$created" ]; then sleep 3; fi
