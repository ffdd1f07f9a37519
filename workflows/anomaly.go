package workflows

import (
	"fmt"

	"github.com/casework/casework/contract"
)

// raise records an anomaly and applies the policy for its kind:
//
//	contact-changed                 back to phone-verify with the new contact
//	missed-payment, refused-to-pay  back to negotiate, up to maxRenegotiations; then legal-referral
//	dispute                         hold: no collection contact until a supervisor resumes
//	complaint, hardship,
//	deadline-missed                 paused for supervisor review
//	unreachable                     closed unreachable (skip tracing)
//	deceased, bankruptcy            closed with that outcome
func (c *caseRun) raise(kind, by string) {
	stage, route := c.st.Stage, ""
	switch kind {
	case contract.AnomalyContactChanged:
		c.st.VerifiedAddressID = ""
		c.st.PhoneAttempts = 0
		c.endPending("cancelled")
		c.setStage(contract.StagePhoneVerify)
		route = "back to phone-verify with the new contact"
	case contract.AnomalyMissedPayment, contract.AnomalyRefusedToPay:
		if c.st.Renegotiations < c.st.Policy.MaxRenegotiations {
			c.st.Renegotiations++
			c.endPending("cancelled")
			if c.visitBeforeNegotiating() {
				c.setStage(contract.StageVisit)
				route = fmt.Sprintf("a field visit first (phone first), then renegotiation %d of %d", c.st.Renegotiations, c.st.Policy.MaxRenegotiations)
			} else {
				c.setStage(contract.StageNegotiate)
				route = fmt.Sprintf("renegotiation %d of %d", c.st.Renegotiations, c.st.Policy.MaxRenegotiations)
			}
		} else {
			c.closeCase(contract.OutcomeLegalReferral, by, kind+" after the last renegotiation")
			route = "closed legal-referral"
		}
	case contract.AnomalyDispute:
		c.st.Hold = true
		c.pause(by, "dispute: collection contact halted until a supervisor resumes")
		route = "dispute hold"
	case contract.AnomalyComplaint, contract.AnomalyHardship, contract.AnomalyDeadlineMissed:
		c.pause(by, kind+": supervisor review")
		route = "paused for supervisor review"
	case contract.AnomalyUnreachable:
		c.closeCase(contract.OutcomeUnreachable, by, "skip tracing")
		route = "closed unreachable (skip tracing)"
	case contract.AnomalyDeceased:
		c.closeCase(contract.OutcomeDeceased, by, kind)
		route = "closed deceased"
	case contract.AnomalyBankruptcy:
		c.closeCase(contract.OutcomeBankruptcy, by, kind)
		route = "closed bankruptcy"
	}
	c.st.Anomalies = append(c.st.Anomalies, contract.AnomalyRecord{At: c.now(), Kind: kind, By: by, Stage: stage, Route: route})
	c.event("anomaly:"+kind, by, true, route, "", false, nil)
	c.alert("anomaly", fmt.Sprintf("%s reported by %s: %s", kind, by, route))
}

// lastRoute is what the policy did with the last anomaly.
func (c *caseRun) lastRoute() string {
	if n := len(c.st.Anomalies); n > 0 {
		return c.st.Anomalies[n-1].Route
	}
	return ""
}

func (c *caseRun) checkAnomaly(p *contract.AnomalyReport) error {
	if !c.isAssigned(p.ReportedBy, contract.RolePhone, contract.RoleField) {
		return contract.Reject(contract.ActionAnomaly, "reportedBy", "%s is not assigned to this case", p.ReportedBy)
	}
	return nil
}

// applyAnomaly records a reported anomaly and routes it. In the survey stage the debt is
// already repaid: the anomaly is recorded and, for a complaint, the supervisors told.
func (c *caseRun) applyAnomaly(p *contract.AnomalyReport) string {
	if p.Kind == contract.AnomalyContactChanged {
		if p.AddressID != "" {
			c.st.AddressOnFile = p.AddressID
		}
		if p.PhoneID != "" {
			c.st.PhoneID = p.PhoneID
		}
	}
	c.event(contract.ActionAnomaly, p.ReportedBy, true, p.Kind, "", false, p)
	if c.st.Stage == contract.StageSurvey {
		c.st.Anomalies = append(c.st.Anomalies, contract.AnomalyRecord{At: c.now(), Kind: p.Kind, By: p.ReportedBy, Stage: c.st.Stage, Route: "recorded (case resolved)"})
		c.alert("anomaly", fmt.Sprintf("%s reported by %s after resolution", p.Kind, p.ReportedBy))
		return "recorded (case resolved)"
	}
	c.raise(p.Kind, p.ReportedBy)
	return c.lastRoute()
}
