package workflows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

// Every human action's validation: a bad payload is rejected with the field and the
// reason, never enters the case, and the step stays open.
func TestUpdatesRejectBadPayloads(t *testing.T) {
	now := "2026-03-02T02:00:30Z" // 30 s after the start, inside the Taipei contact window
	tests := []struct {
		name    string
		stage   contract.Stage
		action  string
		payload string
		want    []string
	}{
		{"unknown field", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-1","calledAt":"` + now + `","outcome":"confirmed","mood":"happy"}`, []string{`"mood"`, "unknown field"}},
		{"wrong type", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":7,"calledAt":"` + now + `","outcome":"confirmed"}`, []string{"agentId", "must be a string"}},
		{"not JSON object", contract.StagePhoneVerify, contract.ActionPhoneVerified, `null`, []string{"payload"}},
		{"missing agent", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"calledAt":"` + now + `","outcome":"confirmed"}`, []string{`"agentId"`, "required"}},
		{"bad outcome", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-1","calledAt":"` + now + `","outcome":"maybe"}`, []string{`"outcome"`, "must be one of"}},
		{"bad time", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-1","calledAt":"yesterday","outcome":"confirmed"}`, []string{`"calledAt"`, "RFC 3339"}},
		{"future call", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-1","calledAt":"2026-03-03T02:00:00Z","outcome":"confirmed"}`, []string{"calledAt", "future"}},
		{"address-changed without address", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-1","calledAt":"` + now + `","outcome":"address-changed"}`, []string{`"addressId"`, "required"}},
		{"agent not assigned", contract.StagePhoneVerify, contract.ActionPhoneVerified,
			`{"agentId":"phone-9","calledAt":"` + now + `","outcome":"confirmed"}`, []string{"agentId", "not the phone agent"}},
		{"action of another stage", contract.StagePhoneVerify, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-2"],"badgesShown":true,"visitedAt":"` + now + `","addressId":"adr-1","debtorMet":true,"monthlyCapacity":1,"willingness":"high"}`,
			[]string{"stage phone-verify: visit-report is taken in visit"}},
		{"one agent at a visit", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1"],"badgesShown":true,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-1","debtorMet":true,"monthlyCapacity":1,"willingness":"high"}`,
			[]string{`"agentIds"`, "at least 2"}},
		{"no badges", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-2"],"badgesShown":false,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-1","debtorMet":true,"monthlyCapacity":1,"willingness":"high"}`,
			[]string{`"badgesShown"`, "work badge"}},
		{"unassigned field agent", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-5"],"badgesShown":true,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-1","debtorMet":true,"monthlyCapacity":1,"willingness":"high"}`,
			[]string{"agentIds", "field-5", "not a field agent assigned"}},
		{"another address", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-2"],"badgesShown":true,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-9","debtorMet":true,"monthlyCapacity":1,"willingness":"high"}`,
			[]string{"addressId", "not the phone-verified cardholder address"}},
		{"negative capacity", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-2"],"badgesShown":true,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-1","debtorMet":true,"monthlyCapacity":-1,"willingness":"high"}`,
			[]string{"monthlyCapacity", "negative"}},
		{"bad willingness", contract.StageVisit, contract.ActionVisitReport,
			`{"agentIds":["field-1","field-2"],"badgesShown":true,"visitedAt":"2026-03-02T02:01:30Z","addressId":"adr-1","debtorMet":true,"monthlyCapacity":1,"willingness":"eager"}`,
			[]string{"willingness"}},
		{"no legal disclosure", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"refused","legalConsequencesExplained":false}`, []string{"legalConsequencesExplained", "must be true"}},
		{"plan without installments", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"plan-agreed","legalConsequencesExplained":true}`, []string{"installments", "required"}},
		{"plan that does not add up", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"plan-agreed","legalConsequencesExplained":true,"installments":[{"dueDate":"2026-04-01","amount":1000}]}`,
			[]string{"installments", "add up to 1000, but 500000 is owed"}},
		{"plan dates out of order", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"plan-agreed","legalConsequencesExplained":true,"installments":[{"dueDate":"2026-05-01","amount":250000},{"dueDate":"2026-04-01","amount":250000}]}`,
			[]string{"installments[1].dueDate", "after the previous"}},
		{"plan in the past", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"plan-agreed","legalConsequencesExplained":true,"installments":[{"dueDate":"2026-02-01","amount":500000}]}`,
			[]string{"installments[0].dueDate", "before today"}},
		{"bad installment date", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"plan-agreed","legalConsequencesExplained":true,"installments":[{"dueDate":"April 1","amount":500000}]}`,
			[]string{"installments[0].dueDate", "YYYY-MM-DD"}},
		{"installments for a refusal", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-1","outcome":"refused","legalConsequencesExplained":true,"installments":[{"dueDate":"2026-04-01","amount":500000}]}`,
			[]string{"installments", "only for outcome plan-agreed"}},
		{"negotiator not assigned", contract.StageNegotiate, contract.ActionNegotiationResult,
			`{"agentId":"phone-3","outcome":"refused","legalConsequencesExplained":true}`, []string{"agentId", "not assigned"}},
		{"payment without id", contract.StageRepayment, contract.ActionPaymentReceived,
			`{"amount":100,"paidAt":"2026-03-02T02:03:00Z","channel":"bank"}`, []string{"paymentId", "required"}},
		{"payment of nothing", contract.StageRepayment, contract.ActionPaymentReceived,
			`{"paymentId":"p1","amount":0,"paidAt":"2026-03-02T02:03:00Z","channel":"bank"}`, []string{"amount", "positive"}},
		{"anomaly of unknown kind", contract.StageVisit, contract.ActionAnomaly,
			`{"kind":"alien-abduction","reportedBy":"phone-1"}`, []string{"kind", "must be one of"}},
		{"contact-changed without contact", contract.StageVisit, contract.ActionAnomaly,
			`{"kind":"contact-changed","reportedBy":"phone-1"}`, []string{"phoneId", "record the new contact first"}},
		{"anomaly by a stranger", contract.StageVisit, contract.ActionAnomaly,
			`{"kind":"complaint","reportedBy":"phone-3"}`, []string{"reportedBy", "not assigned"}},
		{"survey out of range", contract.StageSurvey, contract.ActionSurveyResult,
			`{"agentId":"phone-1","reached":true,"satisfaction":9,"complaint":false}`, []string{"satisfaction", "1 to 5"}},
		{"survey before the survey", contract.StageVisit, contract.ActionSurveyResult,
			`{"agentId":"phone-1","reached":true,"satisfaction":3,"complaint":false}`, []string{"survey-result is taken in survey"}},
		{"pause by an agent", contract.StageVisit, contract.ActionPause,
			`{"by":"phone-1","reason":"x"}`, []string{`"by"`, "not a supervisor"}},
		{"pause without reason", contract.StageVisit, contract.ActionPause,
			`{"by":"sup-1"}`, []string{"reason", "required"}},
		{"resume of a running case", contract.StageVisit, contract.ActionResume,
			`{"by":"sup-1","reason":"x"}`, []string{"not paused"}},
		{"reassign one field agent", contract.StageVisit, contract.ActionReassign,
			`{"by":"sup-1","role":"field","agentIds":["field-3"]}`, []string{"agentIds", "at least 2"}},
		{"reassign bad role", contract.StageVisit, contract.ActionReassign,
			`{"by":"sup-1","role":"cook","agentIds":["x"]}`, []string{"role"}},
		{"close by an agent", contract.StageVisit, contract.ActionClose,
			`{"by":"field-1","reason":"x"}`, []string{"not a supervisor"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			at := h.driveTo(tc.stage)
			h.at(at, func() { h.reject(tc.action, json.RawMessage(tc.payload), tc.want...) })
			h.expectStage(at+10*time.Second, tc.stage)
			h.closeAt(at + 20*time.Second)
			h.run(contract.CaseInput{})
			s := h.result()
			for _, e := range s.Timeline {
				if e.Kind == tc.action && strings.Contains(e.Reason, "rejected") {
					t.Errorf("a rejected update entered the case: %+v", e)
				}
			}
		})
	}
}

// The same validation applies to signals: a bad signal is recorded as rejected in the
// timeline and the audit log; the case goes on and a good signal then completes the step.
func TestSignalsAreValidatedAndRejectionsRecorded(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() {
		h.signal(contract.ActionPhoneVerified, json.RawMessage(`{"agentId":"phone-1","calledAt":"`+h.ts()+`","outcome":"confirmd"}`))
		h.signal(contract.ActionPhoneVerified, json.RawMessage(`{"agentId":"phone-1","calledAt":"`+h.ts()+`","outcome":"confirmed","extra":1}`))
		h.signal(contract.ActionVisitReport, []byte("not json")) // binary/plain, not JSON
		h.signal(contract.ActionVisitReport, "a JSON string")
	})
	h.expectStage(2*time.Minute, contract.StagePhoneVerify)
	h.at(3*time.Minute, func() { h.signal(contract.ActionPhoneVerified, h.confirmed()) })
	h.expectStage(4*time.Minute, contract.StageVisit)
	h.closeAt(5 * time.Minute)
	h.run(contract.CaseInput{})
	s := h.result()
	var rejected []string
	for _, e := range s.Timeline {
		if !e.Accepted && (e.Kind == contract.ActionPhoneVerified || e.Kind == contract.ActionVisitReport) {
			rejected = append(rejected, e.Reason)
		}
	}
	if len(rejected) != 4 {
		t.Fatalf("rejected signals in the timeline = %d (%q), want 4", len(rejected), rejected)
	}
	for i, want := range []string{`"outcome"`, `"extra": unknown field`, "must be JSON", "payload"} {
		if !strings.Contains(rejected[i], want) {
			t.Errorf("rejection %d = %q, want it to name %s", i, rejected[i], want)
		}
	}
	audit := 0
	for _, e := range h.audit(contract.ActionPhoneVerified) {
		if !e.Accepted {
			audit++
			if e.Actor != "phone-1" {
				t.Errorf("rejected signal's actor = %q, want phone-1", e.Actor)
			}
		}
	}
	if audit != 2 {
		t.Errorf("audit rows of rejected phone-verified signals = %d, want 2", audit)
	}
}
