package demo

import "github.com/casework/casework/contract"

// Scenario is how the simulated agents treat one case. The demo mixes them so that every
// step, every anomaly kind, rejected reports and a missed deadline all happen.
type Scenario string

// The scenarios, each with its share of the demo's cases (out of 100).
const (
	Happy           Scenario = "happy"            // plan agreed and kept
	PaidInFull      Scenario = "paid-in-full"     // settles at negotiation
	AddressChanged  Scenario = "address-changed"  // the phone call finds a new address
	WrongPartyFirst Scenario = "wrong-party"      // first call reaches someone else
	Unreachable     Scenario = "unreachable"      // never answers
	RefusedOnce     Scenario = "refused-once"     // refuses, then agrees at renegotiation
	LegalReferral   Scenario = "legal-referral"   // refuses every time
	MissedPayment   Scenario = "missed-payment"   // breaks the first plan, keeps the second
	Dispute         Scenario = "dispute"          // disputes the debt; a supervisor resumes
	Complaint       Scenario = "complaint"        // complains; a supervisor resumes
	Hardship        Scenario = "hardship"         // hardship at negotiation; a supervisor resumes
	Deceased        Scenario = "deceased"         // reported deceased at the visit
	Bankruptcy      Scenario = "bankruptcy"       // reported bankrupt at the visit
	ContactChanged  Scenario = "contact-changed"  // moved: the visit finds a new address
	SupervisorClose Scenario = "supervisor-close" // paused and closed by a supervisor
	Rejected        Scenario = "rejected-reports" // sends bad reports first (update and signal)
	MissedDeadline  Scenario = "missed-deadline"  // the first phone agent never calls
	AfterHoursCall  Scenario = "after-hours-call" // a call made outside the window: flagged
)

var mix = []struct {
	s      Scenario
	share  int
	expect contract.Outcome
}{
	{Happy, 34, contract.OutcomePlanCompleted}, {PaidInFull, 6, contract.OutcomePaidInFull},
	{AddressChanged, 4, contract.OutcomePlanCompleted}, {WrongPartyFirst, 4, contract.OutcomePlanCompleted},
	{Unreachable, 4, contract.OutcomeUnreachable}, {RefusedOnce, 4, contract.OutcomePlanCompleted},
	{LegalReferral, 4, contract.OutcomeLegalReferral}, {MissedPayment, 5, contract.OutcomePlanCompleted},
	{Dispute, 4, contract.OutcomePlanCompleted}, {Complaint, 3, contract.OutcomePlanCompleted},
	{Hardship, 3, contract.OutcomePlanCompleted}, {Deceased, 3, contract.OutcomeDeceased},
	{Bankruptcy, 3, contract.OutcomeBankruptcy}, {ContactChanged, 4, contract.OutcomePlanCompleted},
	{SupervisorClose, 3, contract.OutcomeClosedBySupervisor}, {Rejected, 6, contract.OutcomePlanCompleted},
	{MissedDeadline, 3, contract.OutcomePlanCompleted}, {AfterHoursCall, 3, contract.OutcomePlanCompleted},
}

// Expected is the outcome a scenario's case must reach.
func Expected(s Scenario) contract.Outcome {
	for _, m := range mix {
		if m.s == s {
			return m.expect
		}
	}
	return contract.OutcomeNone
}

// order is the scenario of each of 100 consecutive demo cases: first every scenario once,
// then the rest of each share spread out (stride 37), so that a demo of 18 cases already
// shows every scenario and 100 cases show each in its share.
var order = func() [100]Scenario {
	var o [100]Scenario
	var rest []Scenario
	for i, m := range mix {
		o[i] = m.s
		for range m.share - 1 {
			rest = append(rest, m.s)
		}
	}
	for k := range rest {
		o[len(mix)+k*37%len(rest)] = rest[k]
	}
	return o
}()

// ScenarioAt is the scenario of the i-th demo case (cases sorted by id).
func ScenarioAt(i int) Scenario { return order[i%len(order)] }

// Scenarios lists every scenario.
func Scenarios() []Scenario {
	out := make([]Scenario, len(mix))
	for i, m := range mix {
		out[i] = m.s
	}
	return out
}

// ScenarioCount is how many scenarios there are: a demo of that many cases shows them all.
func ScenarioCount() int { return len(mix) }
