package workflows

import (
	"fmt"
	"slices"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// visit assigns at least two active field agents of the debtor's region (each with a work
// badge), opens the visit task for the verified address only and waits for visit-report.
func (c *caseRun) visit() error {
	if staffed, err := c.staff(contract.RoleField, c.st.Policy.MinFieldAgents); !staffed {
		return err
	}
	_, err := c.await(wait{
		action: contract.ActionVisitReport, role: contract.RoleField,
		assignees: c.st.Assigned[contract.RoleField], deadline: c.st.Policy.VisitDeadline,
		window:    true,
		addressID: c.st.VerifiedAddressID, onMiss: escalate,
	})
	return err
}

func (c *caseRun) checkVisitReport(p *contract.VisitReport) error {
	const action = contract.ActionVisitReport
	for _, id := range p.AgentIDs {
		if !slices.Contains(c.st.Assigned[contract.RoleField], id) {
			return contract.Reject(action, "agentIds", "%s is not a field agent assigned to this case (%v)", id, c.st.Assigned[contract.RoleField])
		}
	}
	if len(p.AgentIDs) < c.st.Policy.MinFieldAgents {
		return contract.Reject(action, "agentIds", "a visit needs at least %d assigned field agents, got %d", c.st.Policy.MinFieldAgents, len(p.AgentIDs))
	}
	if p.AddressID != c.st.VerifiedAddressID {
		return contract.Reject(action, "addressId", "%s is not the phone-verified cardholder address %s: no visit to any other address", p.AddressID, c.st.VerifiedAddressID)
	}
	return c.checkReported(action, "visitedAt", p.VisitedAt)
}

// willingnessShare is the part of the observed monthly capacity the assessment counts on.
var willingnessShare = map[string]int64{
	contract.WillingnessHigh: 100, contract.WillingnessMedium: 75, contract.WillingnessLow: 50, contract.WillingnessNone: 0,
}

// applyVisitReport records the visit and assesses the repayment capacity from its
// observations: the monthly capacity, discounted by the willingness seen.
func (c *caseRun) applyVisitReport(p *contract.VisitReport) string {
	at, _ := contract.ParseTime("visitedAt", p.VisitedAt)
	violation := rules.ContactViolation(at, rules.ContactsOf(c.st), c.st.Policy, c.clock)
	c.st.Contacts++
	c.event(contract.ActionVisitReport, first(p.AgentIDs), true, fmt.Sprintf("debtor met: %t, willingness %s", p.DebtorMet, p.Willingness), violation, true, p)
	c.record(activities.Record{Kind: activities.RecordVisit, Visit: p})
	c.st.AssessedCapacity = p.MonthlyCapacity * willingnessShare[p.Willingness] / 100
	c.st.Visits++
	if p.DebtorMet {
		c.conversation(at, false)
	}
	c.endPending("done")
	c.setStage(contract.StageNegotiate)
	return fmt.Sprintf("assessed capacity %d a month", c.st.AssessedCapacity)
}
