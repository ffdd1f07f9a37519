package workflows

import "github.com/casework/casework/contract"

// The contact path of the case's strategy. Visit first (the seed's order, and every case
// started without a strategy): phone-verify, visit, negotiate. Phone first: phone-verify,
// then negotiate by phone; a visit comes only after a refusal, a broken promise (a missed
// payment) or a missed negotiation deadline, and the negotiation follows it.

// afterVerify is the step after the address is verified.
func (c *caseRun) afterVerify() contract.Stage {
	if c.phoneFirst && c.st.Visits == 0 {
		return contract.StageNegotiate
	}
	return contract.StageVisit
}

// visitBeforeNegotiating tells whether a setback (a refusal, a broken promise, a missed
// negotiation deadline) sends a phone-first case to its first visit.
func (c *caseRun) visitBeforeNegotiating() bool {
	return c.phoneFirst && c.st.Visits == 0
}
