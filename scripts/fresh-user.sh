#!/usr/bin/env bash
# Runs the README's two commands from a clean clone as a throwaway non-root user, the way
# a new user would: `DEMO_EXIT=1 make run`, then `make test`. Run it as root (it creates
# the user): scripts/fresh-user.sh [--keep]. The user starts with nothing of this
# machine's: an empty home, no Go caches, no .tools/ or .dev/; Go, the PostgreSQL server
# packages and Chromium are the machine's (the README's prerequisites). The result goes to
# results/fresh-user.md; --keep keeps the user and the clone for inspection.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
user=${FRESH_USER:-cwfresh}
keep=${1:-}
if [ "$(id -u)" != 0 ]; then echo "fresh-user: run as root (it creates the user $user)" >&2; exit 2; fi
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 7233 8233 8234 8088 17233; do
  if listening "$port"; then
    echo "fresh-user: port $port is taken (another stack runs: scripts/stack.sh down first)" >&2; exit 1
  fi
done
marker="casework fresh-user throwaway" # the only accounts this script removes
if id "$user" >/dev/null 2>&1; then
  if [ "$(getent passwd "$user" | cut -d: -f5)" != "$marker" ]; then
    echo "fresh-user: $user exists and is not a throwaway user of this script: choose another FRESH_USER" >&2; exit 2
  fi
  pkill -u "$user" || true; sleep 1
  userdel -r "$user" 2>/dev/null || true
fi
useradd --create-home --shell /bin/bash --comment "$marker" "$user"
home=$(getent passwd "$user" | cut -d: -f6)
commit=$(git -C "$root" rev-parse HEAD)
# cloned by root (git refuses to serve a repository its user does not own), then given
# to the user: what they get is exactly what a clone of HEAD holds
git clone --quiet --no-hardlinks "$root" "$home/casework" # copies: a hard link would be chowned with it
chown -R "$user:" "$home/casework"
log="$home/fresh-user.log"
go_dir=$(dirname "$(command -v go)")
# a login-like environment: the machine's Go on PATH and its module proxy, nothing else
as_user() {
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
    PATH="$go_dir:/usr/local/bin:/usr/bin:/bin" GOPROXY="$(go env GOPROXY)" GOSUMDB="$(go env GOSUMDB)" \
    GOTOOLCHAIN=local bash -c "cd '$home/casework' && $1" >>"$log" 2>&1
}
step() { # name, command: runs it, records its exit code and time
  local start=$SECONDS code=0
  echo "=== $1: $2" >>"$log"
  as_user "$2" || code=$?
  results+=("| \`$2\` | $code | $(( (SECONDS - start) / 60 )) m $(( (SECONDS - start) % 60 )) s |")
  return $code
}
results=()
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ok=0
step run "DEMO_EXIT=1 make run" || ok=1
step test "make test" || ok=1
as_user "scripts/stack.sh down" || true
outside=$(find / -xdev -newer "$home/casework/README.md" -user "$user" -not -path "$home" -not -path "$home/*" -not -path "/tmp/*" -not -path "/proc/*" 2>/dev/null | head -5)
{
  echo "# A clean clone, as a throwaway non-root user"
  echo
  echo "\`scripts/fresh-user.sh\` on $(hostname), $(nproc) cores, started $started; commit \`${commit:0:12}\`; user \`$user\` (uid $(id -u "$user"), not root),"
  echo "an empty home (no Go caches: every module and tool is fetched and built)."
  echo "PostgreSQL found at \`$(runuser -u "$user" -- bash -c "cd '$home/casework' && source <(sed -n '/^find_pg_bin()/,/^}/p' scripts/stack.sh) && find_pg_bin")\`; $(go version | cut -d' ' -f3); $(chromium --version 2>/dev/null | head -1)."
  echo
  echo "| command | exit | time |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${results[@]}"
  echo
  echo "Files of the user's outside their home and /tmp: ${outside:-none}."
  echo
  echo "The end of the log:"
  echo
  echo '```'
  grep -E "^(=== |ok |FAIL|--- FAIL|PASS|make|stack:|fresh|chromium)" "$log" | grep -v "^ok .*no test files" | tail -40
  echo '```'
} >"$root/results/fresh-user.md"
cat "$root/results/fresh-user.md"
if [ "$keep" != --keep ]; then
  pkill -u "$user" || true; sleep 1
  userdel -r "$user" 2>/dev/null || true
fi
exit $ok
