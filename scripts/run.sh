#!/usr/bin/env bash
# make run: the embedded stack, the worker and the demo (see the README).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/stack.sh up
source .dev/env
mkdir -p .dev
bin/starter migrate
# one worker for the demo: stop a worker left from an earlier run first
if [ -s .dev/worker.pid ] && kill -0 "$(cat .dev/worker.pid)" 2>/dev/null; then kill "$(cat .dev/worker.pid)"; sleep 1; fi
LOG_FORMAT=${LOG_FORMAT:-json} nohup bin/worker >.dev/worker.log 2>&1 &
echo $! >.dev/worker.pid
# the agents' API, the web console and the codec server: agents act only through it
if [ -s .dev/api.pid ] && kill -0 "$(cat .dev/api.pid)" 2>/dev/null; then kill "$(cat .dev/api.pid)"; sleep 1; fi
LOG_FORMAT=${LOG_FORMAT:-json} nohup bin/api >.dev/api.log 2>&1 &
echo $! >.dev/api.pid
# the worker stops with the demo, except with DEMO_EXIT=1: then it stays up, in the
# background, so the parked cases can be inspected (scripts/stack.sh down stops it)
[ "${DEMO_EXIT:-0}" = 1 ] || trap 'kill $(cat .dev/worker.pid) $(cat .dev/api.pid) 2>/dev/null || true' EXIT
echo "worker and API started (logs in .dev/worker.log, .dev/api.log; the API on $CASEWORK_API_URL)"
if [ "${DEMO_TRIAL:-0}" = 1 ]; then # a champion/challenger trial (see the README)
  bin/demo --trial --results results --cases "${DEMO_CASES:-300}" --day "${DEMO_DAY:-3s}" \
    --uci "${CASEWORK_UCI:-data/uci-credit-default/default-of-credit-card-clients.csv}"
else
  bin/demo --cases "${DEMO_CASES:-200}" --day "${DEMO_DAY:-3s}" \
    --uci "${CASEWORK_UCI:-data/uci-credit-default/default-of-credit-card-clients.csv}"
fi
cat <<MSG

Web UI:     http://127.0.0.1:${CASEWORK_UI_PORT:-8233}/namespaces/default/workflows
Try:        source .dev/env
            temporal workflow list --query 'CaseStage = "closed" AND Region = "north"'
            temporal workflow show -w case-UCI-... (payloads decoded by the codec server in bin/api)
            bin/starter report
Agents:     export CASEWORK_TOKEN=\$(bin/starter token issue --agent sup-1)   # operations: a supervisor's token
            bin/agent token issue --agent phone-central-1                          # the supervisor, through the API
Web UI payloads: sign in at $CASEWORK_API_URL/codec/login with the operations credential (.dev/ops-secret)
MSG
if [ "${DEMO_EXIT:-0}" = 1 ]; then
  echo "The worker stays up in the background for inspection (pid $(cat .dev/worker.pid)); scripts/stack.sh down stops everything."
  exit 0
fi
echo "The stack stays up for inspection; Ctrl-C stops the worker (scripts/stack.sh down stops the servers)."
wait "$(cat .dev/worker.pid)"
