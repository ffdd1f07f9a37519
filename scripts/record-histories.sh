#!/usr/bin/env bash
# Records case histories from the real dev server for the replay tests: the integration
# tests' cases, and (when the demo has run) a few demo cases with anomalies. Run it before
# changing the workflow, and check the files in: the replay tests then prove that cases
# started before the change still replay.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/workflows/testdata/histories"
mkdir -p "$out"
scripts/stack.sh up
( source .dev/test-env
  CASEWORK_RECORD_HISTORIES="$out" go test -count=1 -run 'TestCasePlanCompletedByUpdates|TestCaseBySignalsWithAnInvalidOne|TestActivitiesRetried' ./itest )
source .dev/env
# demo cases, one per outcome and one per anomaly route, if the demo has run
for outcome in legal-referral unreachable closed-by-supervisor deceased; do
  id=$(temporal workflow list --query "CaseOutcome = '$outcome' AND ExecutionStatus = 'Completed'" --limit 1 -o json 2>/dev/null |
    sed -n 's/.*"workflowId": *"\([^"]*\)".*/\1/p' | head -n 1)
  if [ -n "$id" ]; then
    temporal workflow show -w "$id" -o json >"$out/demo-$outcome.json"
    echo "recorded $id as demo-$outcome"
  fi
done
for kind in dispute missed-payment hardship contact-changed deadline-missed complaint; do
  id=$(psql "$DATABASE_URL" -tAc "SELECT case_id FROM case_summaries WHERE anomalies ? '$kind' ORDER BY recorded_at DESC LIMIT 1" 2>/dev/null || true)
  if [ -n "$id" ]; then
    temporal workflow show -w "$id" -o json >"$out/demo-anomaly-$kind.json"
    echo "recorded $id as demo-anomaly-$kind"
  fi
done
