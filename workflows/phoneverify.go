package workflows

import (
	"fmt"
	"time"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// phoneVerify assigns a phone agent, opens the call task and waits for phone-verified.
// The call rules set when the call may start (pending.notBefore).
func (c *caseRun) phoneVerify() error {
	if staffed, err := c.staff(contract.RolePhone, 1); !staffed {
		return err
	}
	_, err := c.await(wait{
		action: contract.ActionPhoneVerified, role: contract.RolePhone,
		assignees: c.st.Assigned[contract.RolePhone], deadline: c.st.Policy.PhoneVerifyDeadline,
		contact: true, onMiss: escalate,
	})
	return err
}

// nextCall is when the next call is allowed, and why not earlier.
func (c *caseRun) nextCall(now time.Time) (time.Time, string) {
	return rules.NextCall(now, rules.ContactsOf(c.st), c.st.Policy, c.clock)
}

func (c *caseRun) checkPhoneVerified(p *contract.PhoneVerified) error {
	if !c.isAssigned(p.AgentID, contract.RolePhone) {
		return contract.Reject(contract.ActionPhoneVerified, "agentId", "%s is not the phone agent of this case (%v)", p.AgentID, c.st.Assigned[contract.RolePhone])
	}
	return c.checkReported(contract.ActionPhoneVerified, "calledAt", p.CalledAt)
}

// applyPhoneVerified records the call. A call that broke a contact rule is still recorded,
// flagged as a violation. A wrong party learns nothing and the case records nothing about
// them: the note is dropped.
func (c *caseRun) applyPhoneVerified(p *contract.PhoneVerified) string {
	at, _ := contract.ParseTime("calledAt", p.CalledAt)
	violation := rules.CallViolation(at, rules.ContactsOf(c.st), c.st.Policy, c.clock)
	c.st.Calls = append(c.st.Calls, at)
	c.st.Contacts++
	detail := *p
	if p.Outcome == contract.PhoneWrongParty {
		detail.Note = ""
	}
	c.event(contract.ActionPhoneVerified, p.AgentID, true, p.Outcome, violation, true, detail)
	c.endPending("done")
	switch p.Outcome {
	case contract.PhoneConfirmed, contract.PhoneAddressChanged:
		c.conversation(at, p.DebtorAskedCallback)
		c.st.VerifiedAddressID = c.st.AddressOnFile
		if p.Outcome == contract.PhoneAddressChanged {
			c.st.VerifiedAddressID = p.AddressID
		}
		c.st.AddressOnFile = c.st.VerifiedAddressID
		c.st.PhoneAttempts = 0
		c.setStage(c.afterVerify())
		return fmt.Sprintf("address %s verified", c.st.VerifiedAddressID)
	case contract.PhoneRefused:
		c.conversation(at, p.DebtorAskedCallback)
		c.raise(contract.AnomalyRefusedToPay, p.AgentID)
		return "debtor refused: " + c.lastRoute()
	default: // unreachable, wrong-party: an attempt that reached nobody who owes
		c.st.PhoneAttempts++
		if c.st.PhoneAttempts >= c.st.Policy.MaxPhoneAttempts {
			c.raise(contract.AnomalyUnreachable, "workflow")
			return "unreachable: " + c.lastRoute()
		}
		return fmt.Sprintf("attempt %d of %d", c.st.PhoneAttempts, c.st.Policy.MaxPhoneAttempts)
	}
}

// conversation notes a right-party conversation: no call in the pause after it unless the
// debtor asked.
func (c *caseRun) conversation(at time.Time, callbackAsked bool) {
	c.st.LastConversation = at
	c.st.CallbackRequested = callbackAsked
}

// clockSkew is how far a reported time may be off the workflow's clock.
const clockSkew = 5 * time.Minute

// checkPast rejects a time in the future (beyond a few minutes of clock skew).
func (c *caseRun) checkPast(action, field, v string) error {
	t, err := contract.ParseTime(field, v)
	if err != nil {
		return &contract.ValidationError{Action: action, Fields: []*contract.FieldError{err.(*contract.FieldError)}}
	}
	if t.After(c.now().Add(clockSkew)) {
		return contract.Reject(action, field, "%s is in the future", v)
	}
	return nil
}

// checkReported rejects a reported contact's time that is in the future, or before its
// task opened: a backdated call must not dodge the call cap.
func (c *caseRun) checkReported(action, field, v string) error {
	if err := c.checkPast(action, field, v); err != nil {
		return err
	}
	t, _ := contract.ParseTime(field, v)
	opened := c.st.StageSince
	if p := c.st.Pending; p != nil && p.Action == action {
		opened = p.Since
	}
	if t.Before(opened.Add(-clockSkew)) {
		return contract.Reject(action, field, "%s is before its task opened (%s)", v, stamp(opened))
	}
	return nil
}
