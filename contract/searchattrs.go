package contract

// SearchAttribute is one of the case's search attributes (DESIGN.md's, and Casework's
// CaseFlags and Strategy), as Temporal registers it: a name and an indexed value type.
type SearchAttribute struct {
	Name string
	Type string // Keyword, KeywordList, Int, Datetime (the temporal CLI's names)
}

// SearchAttributes is the one list of the case's search attributes. The workflow's typed
// keys (workflows/searchattrs.go) are checked against it, and the list every deployment
// registers, deploy/temporal/search-attributes.txt (read by deploy/temporal/setup-namespace.sh
// in docker-compose.yml and by scripts/stack.sh), is generated from it:
//
//	go test ./deploy -run TestSearchAttributeFile -update
var SearchAttributes = []SearchAttribute{
	{"CaseStage", "Keyword"},
	{"CaseOutcome", "Keyword"},
	{"PendingAction", "Keyword"},
	{"AssignedAgents", "KeywordList"},
	{"DaysPastDue", "Int"},
	{"AmountDue", "Int"},
	{"Region", "Keyword"},
	{"NextDeadline", "Datetime"},
	{"CaseFlags", "KeywordList"},
	{"Strategy", "Keyword"},
}
