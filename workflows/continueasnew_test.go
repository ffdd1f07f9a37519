package workflows

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/contract"
)

// A run continues as new when the server suggests it (its history grows),
// carrying the whole state; the next run takes up the open step where it was and the case
// completes. Signals delivered before the hand-over are handled, not lost.
func TestStateSurvivesContinueAsNew(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageRepayment)
	h.at(at, func() {
		h.accept(contract.ActionPaymentReceived, h.payment("p1", 200000))
	})
	h.at(at+time.Minute, func() {
		// a duplicate payment by signal, still in its channel when the server suggests
		// continue-as-new: it must be handled before the hand-over, not lost
		h.env.SignalWorkflowSkippingWorkflowTask(contract.ActionPaymentReceived, h.payment("p1", 200000))
	})
	h.at(at+time.Minute+time.Second, func() {
		h.env.SetContinueAsNewSuggested(true)
	})
	h.run(contract.CaseInput{})
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("first run did not end")
	}
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("first run ended with %v, want continue-as-new", err)
	}
	var in contract.CaseInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
		t.Fatal(err)
	}
	st := in.State
	if st == nil || st.Stage != contract.StageRepayment || st.AmountPaid != 200000 || st.Plan == nil || st.VerifiedAddressID != "adr-1" {
		t.Fatalf("carried state %+v, want repayment with 200000 paid on the plan", st)
	}
	if len(st.PaymentIDs) != 1 || st.Plan.Installments[0].Paid != 200000 || len(st.Timeline) == 0 || st.Seq == 0 {
		t.Fatalf("carried state lost detail: payments %v installment %+v seq %d", st.PaymentIDs, st.Plan.Installments[0], st.Seq)
	}

	// the next run, from the carried state
	h2 := newHarness(t)
	h2.env.SetStartTime(h.now())
	seq := st.Seq
	dups := 0
	for _, e := range st.Timeline {
		if e.Reason == "payment p1 already counted" {
			dups++
		}
	}
	if dups != 1 {
		t.Errorf("duplicate payment signals handled before the hand-over = %d, want 1", dups)
	}
	h2.at(time.Minute, func() {
		s := h2.status()
		if s.Runs != 2 || s.Stage != contract.StageRepayment || s.AmountPaid != 200000 {
			t.Errorf("second run: runs %d stage %s paid %d", s.Runs, s.Stage, s.AmountPaid)
		}
		h2.accept(contract.ActionPaymentReceived, h2.payment("p2", 300000))
	})
	h2.at(9*contract.Day, func() {
		h2.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: true, Satisfaction: 4})
	})
	h2.run(contract.CaseInput{AccountID: st.AccountID, State: st})
	s := h2.result()
	if s.Outcome != contract.OutcomePlanCompleted || s.AmountPaid != 500000 {
		t.Errorf("final: outcome %s paid %d", s.Outcome, s.AmountPaid)
	}
	for _, r := range h2.records {
		if r.Seq <= seq {
			t.Fatalf("record %s reuses a sequence number of the first run (%d)", r.Key, seq)
		}
	}
}
