package workflows

import (
	"testing"
	"time"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// Every anomaly route of the policy.
func TestAnomalyRoutes(t *testing.T) {
	report := func(kind string) contract.AnomalyReport {
		r := contract.AnomalyReport{Kind: kind, ReportedBy: "field-1"}
		if kind == contract.AnomalyContactChanged {
			r.AddressID = "adr-2"
		}
		return r
	}
	tests := []struct {
		kind      string
		stage     contract.Stage // where the anomaly is reported
		wantStage contract.Stage // where it takes the case
		outcome   contract.Outcome
		paused    bool
		hold      bool
	}{
		{contract.AnomalyContactChanged, contract.StageNegotiate, contract.StagePhoneVerify, "", false, false},
		{contract.AnomalyRefusedToPay, contract.StageRepayment, contract.StageNegotiate, "", false, false},
		{contract.AnomalyDispute, contract.StageNegotiate, contract.StageNegotiate, "", true, true},
		{contract.AnomalyComplaint, contract.StageVisit, contract.StageVisit, "", true, false},
		{contract.AnomalyDeceased, contract.StageVisit, contract.StageClosed, contract.OutcomeDeceased, false, false},
		{contract.AnomalyBankruptcy, contract.StageNegotiate, contract.StageClosed, contract.OutcomeBankruptcy, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			h := newHarness(t)
			at := h.driveTo(tc.stage)
			h.at(at, func() { h.accept(contract.ActionAnomaly, report(tc.kind)) })
			h.at(at+10*time.Second, func() {
				s := h.status()
				if s.Stage != tc.wantStage || s.Outcome != tc.outcome || s.Paused != tc.paused || s.Hold != tc.hold {
					t.Errorf("after %s: stage %s outcome %q paused %t hold %t; want %s %q %t %t",
						tc.kind, s.Stage, s.Outcome, s.Paused, s.Hold, tc.wantStage, tc.outcome, tc.paused, tc.hold)
				}
				if n := len(s.Anomalies); n == 0 || s.Anomalies[n-1].Kind != tc.kind || s.Anomalies[n-1].Stage != tc.stage {
					t.Errorf("anomalies = %+v, want the last %s raised in %s", s.Anomalies, tc.kind, tc.stage)
				}
				if tc.paused && (s.Pending == nil || s.Pending.Action != contract.ActionResume || s.Pending.Role != contract.RoleSupervisor) {
					t.Errorf("paused case pending %+v, want a supervisor's resume", s.Pending)
				}
			})
			if tc.outcome == "" {
				h.closeAt(at + 20*time.Second)
			}
			h.run(contract.CaseInput{})
			h.result()
			if len(h.recordsOf(activities.RecordAlert)) == 0 {
				t.Errorf("supervisors were not told of the %s", tc.kind)
			}
		})
	}
}

// contact-changed goes back to phone-verify, and the new address is the one the next call
// confirms and the visit must go to.
func TestContactChangedVerifiesTheNewAddress(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageNegotiate)
	h.at(at, func() {
		h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyContactChanged, ReportedBy: "phone-1", AddressID: "adr-2", PhoneID: "ph-2"})
	})
	// a conversation happened at the visit: the next call waits out the pause after it
	h.at(at+time.Minute, func() {
		s := h.status()
		if s.Pending == nil || s.Pending.NotBefore.Before(h.now().Add(6*contract.Day)) || s.Pending.NotBeforeReason == "" {
			t.Errorf("pending after contact-changed = %+v, want the call not before 7 days after the visit's conversation", s.Pending)
		}
	})
	h.at(at+7*contract.Day+time.Hour, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.at(at+7*contract.Day+2*time.Hour, func() {
		s := h.status()
		if s.VerifiedAddressID != "adr-2" || s.PhoneID != "ph-2" || s.Pending == nil || s.Pending.AddressID != "adr-2" {
			t.Errorf("after re-verification: verified %q phone %q pending %+v, want adr-2 / ph-2", s.VerifiedAddressID, s.PhoneID, s.Pending)
		}
		old := h.visitReport() // the old address is no longer allowed
		h.reject(contract.ActionVisitReport, old, "addressId", "not the phone-verified")
	})
	h.closeAt(at + 7*contract.Day + 3*time.Hour)
	h.run(contract.CaseInput{})
	h.result()
}

// A refusal or a missed payment renegotiates up to maxRenegotiations, then the case closes
// legal-referral.
func TestRenegotiationsThenLegalReferral(t *testing.T) {
	h := newHarness(t)
	refuse := func() contract.NegotiationResult {
		return contract.NegotiationResult{AgentID: "phone-1", Outcome: contract.NegotiationRefused, LegalConsequencesExplained: true}
	}
	at := h.driveTo(contract.StageNegotiate)
	h.at(at, func() { h.accept(contract.ActionNegotiationResult, refuse()) })
	h.at(at+time.Minute, func() {
		if s := h.status(); s.Stage != contract.StageNegotiate || s.Renegotiations != 1 {
			t.Errorf("after a refusal: stage %s renegotiations %d, want negotiate 1", s.Stage, s.Renegotiations)
		}
		h.accept(contract.ActionNegotiationResult, refuse())
	})
	h.at(at+2*time.Minute, func() { h.accept(contract.ActionNegotiationResult, refuse()) })
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Outcome != contract.OutcomeLegalReferral || s.Renegotiations != 2 {
		t.Fatalf("outcome %s after %d renegotiations, want legal-referral after 2", s.Outcome, s.Renegotiations)
	}
}

// An installment unpaid past its due date plus grace is missed-payment: the case goes back
// to negotiate, and a new plan replaces the broken one.
func TestMissedPaymentRenegotiates(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageRepayment) // installments due in 10 and 40 days
	h.at(at+12*contract.Day, func() { h.expectNow(contract.StageRepayment) })
	h.at(at+14*contract.Day, func() {
		s := h.status()
		if s.Stage != contract.StageNegotiate || s.Renegotiations != 1 || len(s.Anomalies) != 1 || s.Anomalies[0].Kind != contract.AnomalyMissedPayment {
			t.Errorf("after due + grace: stage %s renegotiations %d anomalies %+v", s.Stage, s.Renegotiations, s.Anomalies)
		}
		h.accept(contract.ActionNegotiationResult, h.plan(500000))
	})
	h.at(at+14*contract.Day+time.Hour, func() {
		s := h.status()
		if s.Stage != contract.StageRepayment || s.Plan.Number != 2 {
			t.Errorf("after renegotiation: stage %s plan %d, want repayment plan 2", s.Stage, s.Plan.Number)
		}
		h.accept(contract.ActionPaymentReceived, h.payment("p1", 500000))
	})
	h.at(at+30*contract.Day, func() {
		h.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: false})
	})
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Outcome != contract.OutcomePlanCompleted {
		t.Errorf("outcome %s, want plan-completed (the second plan kept)", s.Outcome)
	}
}

// Unreachable after maxPhoneAttempts: the anomaly unreachable closes the case; a wrong
// party counts as an attempt.
func TestUnreachableAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	for i, outcome := range []string{contract.PhoneUnreachable, contract.PhoneWrongParty, contract.PhoneUnreachable} {
		h.at(time.Duration(i+1)*time.Hour, func() {
			h.accept(contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: "phone-1", CalledAt: h.ts(), Outcome: outcome})
		})
	}
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Outcome != contract.OutcomeUnreachable || s.PhoneAttempts != 3 {
		t.Fatalf("outcome %s after %d attempts, want unreachable after 3", s.Outcome, s.PhoneAttempts)
	}
}

// A supervisor pauses and resumes: the step starts again; a hardship pauses for review.
func TestPauseResumeAndHardship(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageNegotiate)
	h.at(at, func() {
		h.accept(contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: "field-1", Outcome: contract.NegotiationHardship, LegalConsequencesExplained: true})
	})
	h.at(at+time.Minute, func() {
		s := h.status()
		if !s.Paused || s.Stage != contract.StageNegotiate {
			t.Errorf("after hardship: paused %t stage %s", s.Paused, s.Stage)
		}
		h.reject(contract.ActionNegotiationResult, h.plan(500000), "paused")
		h.accept(contract.ActionResume, contract.SupervisorAction{By: "sup-1", Reason: "hardship reviewed: smaller installments"})
	})
	h.at(at+2*time.Minute, func() {
		s := h.status()
		if s.Paused || s.Pending == nil || s.Pending.Action != contract.ActionNegotiationResult {
			t.Errorf("after resume: paused %t pending %+v, want negotiation open again", s.Paused, s.Pending)
		}
		h.accept(contract.ActionPause, contract.SupervisorAction{By: "sup-1", Reason: "audit"})
	})
	h.at(at+3*time.Minute, func() {
		h.reject(contract.ActionPause, contract.SupervisorAction{By: "sup-1", Reason: "again"}, "already paused")
		h.accept(contract.ActionResume, contract.SupervisorAction{By: "sup-1", Reason: "audit done"})
	})
	h.expectStage(at+4*time.Minute, contract.StageNegotiate)
	h.closeAt(at + 5*time.Minute)
	h.run(contract.CaseInput{})
	if s := h.result(); s.Outcome != contract.OutcomeClosedBySupervisor {
		t.Errorf("outcome %s, want closed-by-supervisor", s.Outcome)
	}
}

// expectNow checks the stage at the moment of the callback.
func (h *harness) expectNow(stage contract.Stage) {
	if s := h.status(); s.Stage != stage {
		h.t.Errorf("at %s: stage %s, want %s", h.now().Sub(start), s.Stage, stage)
	}
}
