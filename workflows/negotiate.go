package workflows

import (
	"fmt"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// negotiate waits for negotiation-result from the case's phone or field agents. The
// negotiation usually follows the visit face to face, so only the contact window (not the
// call limits) sets when it may start.
func (c *caseRun) negotiate() error {
	if staffed, err := c.staff(contract.RolePhone, 1); !staffed {
		return err
	}
	assignees := append(append([]string(nil), c.st.Assigned[contract.RolePhone]...), c.st.Assigned[contract.RoleField]...)
	// after a visit the negotiation is face to face (the contact window); phone first, it
	// is a call (the call rules), and a missed deadline sends the field agents
	byPhone := c.visitBeforeNegotiating()
	miss := escalate
	if byPhone {
		miss = expire
	}
	expired, err := c.await(wait{
		action: contract.ActionNegotiationResult, role: contract.RolePhone, assignees: assignees,
		deadline: c.st.Policy.NegotiationDeadline, onMiss: miss,
		window: !byPhone, contact: byPhone,
	})
	if err == nil && expired {
		c.event(contract.ActionNegotiationResult, "workflow", false, "negotiation deadline missed: a field visit first (phone first)", "", false, nil)
		c.setStage(contract.StageVisit)
	}
	return err
}

func (c *caseRun) checkNegotiation(p *contract.NegotiationResult) error {
	const action = contract.ActionNegotiationResult
	if !c.isAssigned(p.AgentID, contract.RolePhone, contract.RoleField) {
		return contract.Reject(action, "agentId", "%s is not assigned to this case", p.AgentID)
	}
	if p.Outcome != contract.NegotiationPlanAgreed {
		return nil
	}
	owed := c.st.AmountDue - c.st.AmountPaid
	var total int64
	for _, in := range p.Installments {
		total += in.Amount
	}
	if total != owed {
		return contract.Reject(action, "installments", "add up to %d, but %d is owed: a plan must add up to the balance", total, owed)
	}
	today := c.clock.Date(c.now())
	if p.Installments[0].DueDate < today {
		return contract.Reject(action, "installments[0].dueDate", "%s is before today (%s, debtor-local)", p.Installments[0].DueDate, today)
	}
	return nil
}

// applyNegotiation stores the agreed plan, or routes the anomaly the negotiation found.
func (c *caseRun) applyNegotiation(p *contract.NegotiationResult) string {
	violation := rules.ContactViolation(c.now(), rules.ContactsOf(c.st), c.st.Policy, c.clock)
	if c.visitBeforeNegotiating() { // a call with the debtor: the call rules, a call and a conversation
		violation = rules.CallViolation(c.now(), rules.ContactsOf(c.st), c.st.Policy, c.clock)
		c.st.Calls = append(c.st.Calls, c.now())
		c.conversation(c.now(), false)
	}
	c.st.Contacts++
	c.event(contract.ActionNegotiationResult, p.AgentID, true, p.Outcome+"; legal consequences explained", violation, true, p)
	c.endPending("done")
	switch p.Outcome {
	case contract.NegotiationPlanAgreed:
		c.agreePlan(p.AgentID, p.Installments, false)
		return fmt.Sprintf("plan %d agreed: %d installments", c.st.Plan.Number, len(c.st.Plan.Installments))
	case contract.NegotiationPaidInFull:
		// the debtor settles the balance at once: one installment due today
		c.agreePlan(p.AgentID, []contract.PlanInstallment{{DueDate: c.clock.Date(c.now()), Amount: c.st.AmountDue - c.st.AmountPaid}}, true)
		return "settlement in full due today"
	case contract.NegotiationRefused:
		c.raise(contract.AnomalyRefusedToPay, p.AgentID)
	case contract.NegotiationHardship:
		c.raise(contract.AnomalyHardship, p.AgentID)
	case contract.NegotiationDispute:
		c.raise(contract.AnomalyDispute, p.AgentID)
	}
	return c.lastRoute()
}

// agreePlan fixes a plan and moves the case to repayment. Due dates end at midnight
// debtor-local on the case calendar.
func (c *caseRun) agreePlan(by string, ins []contract.PlanInstallment, settlement bool) {
	number := 1
	if c.st.Plan != nil {
		number = c.st.Plan.Number + 1
	}
	plan := &contract.Plan{Number: number, AgreedAt: c.now(), AgreedBy: by, Settlement: settlement}
	for _, in := range ins {
		due, err := c.clock.EndOfDate(in.DueDate)
		if err != nil { // validated before; a date the zone cannot place falls due now
			due = c.now()
		}
		plan.Installments = append(plan.Installments, contract.Installment{DueDate: in.DueDate, Amount: in.Amount, DueAt: due})
	}
	c.st.Plan = plan
	c.record(activities.Record{Kind: activities.RecordPlan, Plan: plan})
	c.setStage(contract.StageRepayment)
}
