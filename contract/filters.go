package contract

// Filter is a ready list filter for the Temporal Web UI (a visibility query), for the
// questions operations ask every day. The README lists them; a test runs each against
// the real server.
type Filter struct {
	Question string
	Query    string
}

// Filters are the everyday questions of operations.
var Filters = []Filter{
	{"Cases waiting on a visit that is past its deadline", `PendingAction = "visit-report" AND CaseFlags = "deadline-missed"`},
	{"Disputed cases on hold", `CaseFlags = "dispute-hold"`},
	{"Cases in repayment in a region", `CaseStage = "repayment" AND Region = "north"`},
	{"Cases with a guardrail violation", `CaseFlags = "guardrail-violation"`},
	{"Open cases waiting for a supervisor", `ExecutionStatus = "Running" AND PendingAction IN ("resume", "reassign")`},
}
