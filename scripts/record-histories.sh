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
# the integration tests' cases, their payloads encrypted with the test-only key kept beside
# the histories (the replay tests decode with it); CASEWORK_RECORD_SUFFIX names a new
# version's histories so that the older ones stay
( source .dev/test-env
  CASEWORK_CODEC_KEYS_FILE="$out/test-codec-keys" CASEWORK_RECORD_HISTORIES="$out" \
    go test -count=1 -run 'TestCasePlanCompletedByUpdates|TestCaseBySignalsWithAnInvalidOne|TestActivitiesRetried|TestPhoneFirstEndToEnd' -tags integration ./itest )
# the demo's cases, decoded by the codec server of the running bin/api (make run) as the
# CLI shows them (TEMPORAL_CODEC_ENDPOINT and TEMPORAL_CODEC_AUTH of .dev/env)
source .dev/env
# demo cases, one per outcome and one per anomaly route, if the demo has run
for outcome in legal-referral unreachable closed-by-supervisor deceased; do
  id=$(temporal workflow list --query "CaseOutcome = '$outcome' AND ExecutionStatus = 'Completed'" --limit 1 -o json 2>/dev/null |
    sed -n 's/.*"workflowId": *"\([^"]*\)".*/\1/p' | head -n 1)
  if [ -n "$id" ]; then
    temporal workflow show -w "$id" -o json >"$out/demo-$outcome${CASEWORK_RECORD_SUFFIX:-}.json"
    echo "recorded $id as demo-$outcome${CASEWORK_RECORD_SUFFIX:-}"
  fi
done
for kind in dispute missed-payment hardship contact-changed deadline-missed complaint; do
  id=$(psql "$DATABASE_URL" -tAc "SELECT case_id FROM case_summaries WHERE anomalies ? '$kind' ORDER BY recorded_at DESC LIMIT 1" 2>/dev/null || true)
  if [ -n "$id" ]; then
    temporal workflow show -w "$id" -o json >"$out/demo-anomaly-$kind${CASEWORK_RECORD_SUFFIX:-}.json"
    echo "recorded $id as demo-anomaly-$kind${CASEWORK_RECORD_SUFFIX:-}"
  fi
done
