#!/bin/sh
# Installs the certificates of Temporal's mTLS for docker-compose.yml (run by temporal-certs,
# as root, before anything that uses them). It reads secrets/certs (made by
# `go run ./deploy/gencerts -out secrets/certs`), mounted read-only at /certs, and copies
#   into /out/server (the volume temporal-server-tls, the Temporal server's only):
#     ca.pem, server.pem, server-key.pem
#   into /out/client (the volume temporal-client-tls, every Temporal client's):
#     ca.pem, client.pem, client-key.pem
# readable by the containers' own users, whoever owns the files on the host and however
# strict their modes (gencerts writes keys 0600). The authority's key (ca-key.pem) is never
# copied. Safe to run again: renewed certificates replace the old ones.
set -eu
in=/certs
missing=
for f in ca.pem server.pem server-key.pem client.pem client-key.pem; do
  [ -s "$in/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
  echo "install-certs: missing in secrets/certs:$missing; make them with: go run ./deploy/gencerts -out secrets/certs" >&2
  exit 1
fi
install_into() {
  dir=$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    cp "$in/$f" "$dir/.$f.tmp"
    chmod 0444 "$dir/.$f.tmp"
    mv -f "$dir/.$f.tmp" "$dir/$f"
  done
}
install_into /out/server ca.pem server.pem server-key.pem
install_into /out/client ca.pem client.pem client-key.pem
echo "install-certs: certificates installed for the Temporal server and its clients"
