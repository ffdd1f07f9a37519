package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

var phoneFirst = contract.CaseInput{Strategy: &contract.StrategyRef{Name: "phone-first-trial", Path: contract.PathPhoneFirst, Model: 3}}

// Phone first: after the address is verified the case negotiates by phone (once the pause
// after the conversation allows a call), no visit.
func TestPhoneFirstNegotiatesWithoutAVisit(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.expectStage(2*time.Minute, contract.StageNegotiate)
	h.at(8*contract.Day, func() { h.accept(contract.ActionNegotiationResult, h.plan(200000, 300000)) })
	h.at(8*contract.Day+time.Hour, func() {
		s := h.status()
		if s.Stage != contract.StageRepayment || s.Visits != 0 || s.Strategy != "phone-first-trial" || s.ContactPath != contract.PathPhoneFirst || s.ModelVersion != 3 {
			t.Errorf("after the plan: stage %s visits %d strategy %q path %q model %d", s.Stage, s.Visits, s.Strategy, s.ContactPath, s.ModelVersion)
		}
	})
	h.closeAt(9 * contract.Day)
	h.run(phoneFirst)
	h.result()
}

// Phone first: a refusal sends the field agents; after their visit, the negotiation again.
func TestPhoneFirstVisitsAfterARefusal(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.at(8*contract.Day, func() {
		h.accept(contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: "phone-1", Outcome: contract.NegotiationRefused, LegalConsequencesExplained: true})
	})
	h.at(8*contract.Day+time.Minute, func() {
		if s := h.status(); s.Stage != contract.StageVisit || len(s.Anomalies) == 0 || !strings.Contains(s.Anomalies[len(s.Anomalies)-1].Route, "field visit first") {
			t.Errorf("after a refusal: stage %s, anomalies %+v", s.Stage, s.Anomalies)
		}
	})
	h.at(8*contract.Day+time.Hour, func() { h.accept(contract.ActionVisitReport, h.visitReport()) })
	h.expectStage(8*contract.Day+2*time.Hour, contract.StageNegotiate)
	h.closeAt(9 * contract.Day)
	h.run(phoneFirst)
	if s := h.result(); s.Visits != 1 || s.Renegotiations != 1 {
		t.Errorf("visits %d renegotiations %d, want 1 and 1", s.Visits, s.Renegotiations)
	}
}

// Phone first: a negotiation deadline missed sends the field agents too.
func TestPhoneFirstVisitsAfterAMissedDeadline(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.expectStage(20*contract.Day, contract.StageVisit)
	h.closeAt(21 * contract.Day)
	h.run(phoneFirst)
	h.result()
}

// Visit first (and every case without a strategy) keeps the seed's order.
func TestVisitFirstKeepsTheSeedsOrder(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.expectStage(2*time.Minute, contract.StageVisit)
	h.closeAt(3 * time.Minute)
	h.run(contract.CaseInput{Strategy: &contract.StrategyRef{Name: "champion", Path: contract.PathVisitFirst}})
	h.result()
}

func TestUnknownContactPathRefused(t *testing.T) {
	h := newHarness(t)
	h.run(contract.CaseInput{Strategy: &contract.StrategyRef{Name: "x", Path: "carrier-pigeon"}})
	if err := h.env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "strategy.path") {
		t.Fatalf("start with an unknown path: %v, want refused naming strategy.path", err)
	}
}
