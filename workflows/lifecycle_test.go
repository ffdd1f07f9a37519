package workflows

import (
	"testing"
	"time"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

func TestCaseRunsEveryStepToPlanCompleted(t *testing.T) {
	h := newHarness(t)
	h.toNegotiation()
	h.at(3*time.Minute, func() {
		s := h.status()
		if s.Stage != contract.StageNegotiate || s.AssessedCapacity != 225000 {
			t.Errorf("after the visit: stage %s capacity %d, want negotiate 225000", s.Stage, s.AssessedCapacity)
		}
		h.accept(contract.ActionNegotiationResult, h.plan(200000, 300000))
	})
	h.at(4*time.Minute, func() {
		s := h.status()
		if s.Stage != contract.StageRepayment || s.Plan == nil || len(s.Plan.Installments) != 2 {
			t.Fatalf("after negotiation: stage %s plan %+v", s.Stage, s.Plan)
		}
		if s.Pending == nil || s.Pending.Action != contract.ActionPaymentReceived {
			t.Errorf("repayment pending = %+v, want payment-received", s.Pending)
		}
	})
	h.at(11*contract.Day, func() { h.accept(contract.ActionPaymentReceived, h.payment("pay-1", 200000)) })
	h.at(11*contract.Day+time.Hour, func() {
		// the same payment id again counts once
		h.accept(contract.ActionPaymentReceived, h.payment("pay-1", 200000))
		if s := h.status(); s.AmountPaid != 200000 {
			t.Errorf("amountPaid after a duplicate = %d, want 200000", s.AmountPaid)
		}
	})
	h.at(41*contract.Day, func() { h.accept(contract.ActionPaymentReceived, h.payment("pay-2", 300000)) })
	h.at(41*contract.Day+time.Hour, func() {
		s := h.status()
		if s.Stage != contract.StageSurvey || s.Outcome != contract.OutcomePlanCompleted {
			t.Errorf("after the last payment: stage %s outcome %s", s.Stage, s.Outcome)
		}
		if s.Pending == nil || s.Pending.NotBefore.Before(h.now().Add(6*contract.Day)) {
			t.Errorf("survey pending %+v: want it not before 7 days after resolution", s.Pending)
		}
	})
	h.at(49*contract.Day, func() {
		h.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: true, Satisfaction: 4})
	})
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Stage != contract.StageClosed || s.Outcome != contract.OutcomePlanCompleted || s.AmountPaid != 500000 {
		t.Fatalf("final: stage %s outcome %s paid %d", s.Stage, s.Outcome, s.AmountPaid)
	}
	if s.VerifiedAddressID != "adr-1" || s.Survey == nil || s.Survey.Satisfaction != 4 {
		t.Errorf("final: verified %q survey %+v", s.VerifiedAddressID, s.Survey)
	}
	// the plan's confirmation (workflow version 1), then two reminders per installment (3
	// days and 1 day before), each once, at 10:00 Taipei
	if len(h.reminders) != 5 || h.reminders[0].Kind != "confirmation" {
		t.Fatalf("messages sent = %d, want the confirmation and 4 reminders: %+v", len(h.reminders), h.reminders)
	}
	keys := map[string]bool{}
	for _, r := range h.reminders[1:] {
		if keys[r.Key] {
			t.Errorf("reminder %s sent twice", r.Key)
		}
		keys[r.Key] = true
		if local := r.ScheduledAt.In(taipei(t)); local.Hour() != 10 {
			t.Errorf("reminder %s scheduled at %s local, want 10:00", r.Key, local)
		}
	}
	sums := h.recordsOf(activities.RecordSummary)
	if len(sums) != 1 || sums[0].Summary.Outcome != contract.OutcomePlanCompleted || sums[0].Summary.AmountPaid != 500000 {
		t.Errorf("summary records = %+v", sums)
	}
	if len(h.recordsOf(activities.RecordPayment)) != 2 {
		t.Errorf("payment records = %d, want 2 (the duplicate written once)", len(h.recordsOf(activities.RecordPayment)))
	}
	for _, stage := range []contract.Stage{contract.StagePhoneVerify, contract.StageVisit, contract.StageNegotiate, contract.StageRepayment, contract.StageSurvey} {
		if s.StageSeconds[stage] <= 0 {
			t.Errorf("time in %s = %v, want > 0", stage, s.StageSeconds[stage])
		}
	}
}

func taipei(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
