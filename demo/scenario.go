package demo

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
	s     Scenario
	share int
}{
	{Happy, 34}, {PaidInFull, 6}, {AddressChanged, 4}, {WrongPartyFirst, 4}, {Unreachable, 4},
	{RefusedOnce, 4}, {LegalReferral, 4}, {MissedPayment, 5}, {Dispute, 4}, {Complaint, 3},
	{Hardship, 3}, {Deceased, 3}, {Bankruptcy, 3}, {ContactChanged, 4}, {SupervisorClose, 3},
	{Rejected, 6}, {MissedDeadline, 3}, {AfterHoursCall, 3},
}

// ScenarioAt is the scenario of the i-th demo case (cases sorted by id). Every 100
// consecutive cases hold each scenario in its share; the order is spread out (stride 37)
// so that a small demo still gets a mix.
func ScenarioAt(i int) Scenario {
	n := (i % 100) * 37 % 100
	for _, m := range mix {
		if n < m.share {
			return m.s
		}
		n -= m.share
	}
	return Happy
}

// Scenarios lists every scenario.
func Scenarios() []Scenario {
	out := make([]Scenario, len(mix))
	for i, m := range mix {
		out[i] = m.s
	}
	return out
}
