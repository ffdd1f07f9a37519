#!/bin/sh
# Creates the namespace and Casework's search attributes (run by temporal-setup in
# docker-compose.yml, with the admin-tools image, over mTLS: the temporal CLI takes the
# address and the client certificate from the environment). Safe to run again.
set -eu
ns=${NAMESPACE:-default}
temporal operator namespace describe -n "$ns" >/dev/null 2>&1 || temporal operator namespace create -n "$ns" --retention 30d
sleep 2
for sa in CaseStage:Keyword CaseOutcome:Keyword PendingAction:Keyword AssignedAgents:KeywordList \
  DaysPastDue:Int AmountDue:Int Region:Keyword NextDeadline:Datetime CaseFlags:KeywordList Strategy:Keyword; do
  name=${sa%%:*}
  type=${sa#*:}
  temporal operator search-attribute list -n "$ns" | grep -qw "$name" ||
    temporal operator search-attribute create -n "$ns" --name "$name" --type "$type"
done
echo "namespace $ns and search attributes ready"
