package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// Guardrail: a field visit has at least two assigned field agents, and goes to the
// phone-verified address only (the rejections are in TestUpdatesRejectBadPayloads).
func TestVisitIsAssignedToTwoAgentsAtTheVerifiedAddress(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageVisit)
	h.at(at, func() {
		s := h.status()
		if s.Pending == nil || len(s.Pending.Assignees) != 2 || s.Pending.AddressID != "adr-1" {
			t.Errorf("visit pending %+v, want two field agents at adr-1", s.Pending)
		}
	})
	h.closeAt(at + time.Minute)
	h.run(contract.CaseInput{})
	h.result()
	for _, a := range h.assigns {
		if a.Role == contract.RoleField && (a.Count < 2 || a.Region != "north") {
			t.Errorf("field assignment %+v, want at least 2 of the debtor's region", a)
		}
	}
}

// Guardrail: no contact outside 08:00-21:00 debtor-local. A case started at night has its
// first call allowed from 08:00; a call reported at night anyway is recorded, flagged and
// shown to supervisors.
func TestContactWindow(t *testing.T) {
	h := newHarness(t)
	night := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 23:00 in Taipei
	h.env.SetStartTime(night)
	h.at(time.Minute, func() {
		s := h.status()
		want := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC) // 08:00 in Taipei
		if s.Pending == nil || !s.Pending.NotBefore.Equal(want) || !strings.Contains(s.Pending.NotBeforeReason, "contact window") {
			t.Errorf("pending %+v, want the call not before %s (contact window)", s.Pending, want)
		}
		h.accept(contract.ActionPhoneVerified, h.confirmed()) // called at 23:01: a violation
	})
	h.closeAt(2 * time.Minute)
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Violations != 1 {
		t.Errorf("violations = %d, want 1", s.Violations)
	}
	var flagged []activities.AuditEntry
	for _, e := range h.audit(contract.ActionPhoneVerified) {
		if e.Violation != "" {
			flagged = append(flagged, e)
		}
	}
	if len(flagged) != 1 || !flagged[0].Accepted || !strings.Contains(flagged[0].Violation, "contact window") {
		t.Errorf("flagged audit rows = %+v, want the night call accepted and flagged", flagged)
	}
	shown := false
	for _, r := range h.recordsOf(activities.RecordAlert) {
		shown = shown || r.Alert.Kind == "guardrail-violation"
	}
	if !shown {
		t.Error("the violation was not shown to supervisors")
	}
}

// Guardrail: at most 7 call attempts in 7 days. After seven, the next call is allowed only
// when the oldest leaves the 7 days; an eighth reported anyway is flagged.
func TestCallCap(t *testing.T) {
	h := newHarness(t)
	for i := range 8 {
		h.at(time.Duration(i+1)*10*time.Minute, func() {
			if i == 7 {
				s := h.status()
				first := start.Add(10 * time.Minute)
				if s.Pending == nil || !s.Pending.NotBefore.Equal(first.Add(7*contract.Day)) || !strings.Contains(s.Pending.NotBeforeReason, "call cap") {
					t.Errorf("after 7 calls: pending %+v, want not before %s (call cap)", s.Pending, first.Add(7*contract.Day))
				}
			}
			h.accept(contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: "phone-1", CalledAt: h.ts(), Outcome: contract.PhoneUnreachable})
		})
	}
	h.closeAt(2 * time.Hour)
	h.screen.Policy.MaxPhoneAttempts = 10 // the deployment's: a case may not raise it
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Violations != 1 || len(s.Calls) != 8 {
		t.Errorf("violations %d calls %d, want 1 violation in 8 calls", s.Violations, len(s.Calls))
	}
}

// Guardrail: no call within 7 days after a conversation, unless the debtor asked.
func TestNoCallSoonAfterAConversationUnlessAsked(t *testing.T) {
	for _, asked := range []bool{false, true} {
		h := newHarness(t)
		h.at(time.Minute, func() {
			call := h.confirmed()
			call.DebtorAskedCallback = asked
			h.accept(contract.ActionPhoneVerified, call)
		})
		h.at(2*time.Minute, func() {
			h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyContactChanged, ReportedBy: "phone-1", PhoneID: "ph-2"})
		})
		h.at(3*time.Minute, func() {
			s := h.status()
			blocked := s.Pending != nil && s.Pending.NotBefore.After(h.now().Add(6*contract.Day))
			if blocked == asked {
				t.Errorf("debtor asked %t: pending %+v", asked, s.Pending)
			}
		})
		h.closeAt(4 * time.Minute)
		h.run(contract.CaseInput{})
		h.result()
	}
}

// Guardrail: the legal consequences are explained and that fact is recorded.
func TestLegalDisclosureRecorded(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageRepayment)
	h.closeAt(at)
	h.run(contract.CaseInput{})
	h.result()
	rows := h.audit(contract.ActionNegotiationResult)
	if len(rows) != 1 || !strings.Contains(rows[0].Reason, "legal consequences explained") || !strings.Contains(string(rows[0].Detail), `"legalConsequencesExplained":true`) {
		t.Errorf("negotiation audit rows = %+v, want the disclosure recorded", rows)
	}
}

// Guardrail: a dispute stops collection contact until a supervisor resumes: no reminder
// goes out during the hold.
func TestDisputeHaltsContact(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageRepayment) // first reminders 7 and 9 days on
	h.at(at+time.Hour, func() {
		h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: "phone-1", Note: "says the debt is not theirs"})
	})
	h.at(at+11*contract.Day, func() {
		s := h.status()
		sent := 0
		for _, r := range h.reminders {
			if r.ScheduledAt.After(start.Add(at + time.Hour)) { // after the dispute
				sent++
			}
		}
		if !s.Hold || sent != 0 {
			t.Errorf("during the hold: hold %t, %d reminders sent; want hold and none", s.Hold, sent)
		}
		h.accept(contract.ActionResume, contract.SupervisorAction{By: "sup-1", Reason: "dispute resolved: debt validated"})
	})
	h.at(at+11*contract.Day+time.Hour, func() {
		if s := h.status(); s.Hold || s.Stage != contract.StageRepayment {
			t.Errorf("after resume: hold %t stage %s", s.Hold, s.Stage)
		}
	})
	h.closeAt(at + 11*contract.Day + 2*time.Hour)
	h.run(contract.CaseInput{})
	h.result()
}

// Guardrail: a third party reached by mistake learns nothing, and the case records nothing
// about them: the note is dropped from the audit log.
func TestWrongPartyRecordsNothingAboutThem(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() {
		h.accept(contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: "phone-1", CalledAt: h.ts(), Outcome: contract.PhoneWrongParty,
			Note: "spoke to Mr Chen, her brother, lives at No. 5"})
	})
	h.closeAt(2 * time.Minute)
	h.run(contract.CaseInput{})
	s := h.result()
	rows := h.audit(contract.ActionPhoneVerified)
	if len(rows) != 1 || strings.Contains(string(rows[0].Detail), "Chen") || strings.Contains(string(rows[0].Detail), "note") {
		t.Errorf("wrong-party audit rows = %+v, want no note", rows)
	}
	for _, e := range s.Timeline {
		if strings.Contains(e.Reason, "Chen") {
			t.Errorf("timeline names the third party: %+v", e)
		}
	}
}

// Guardrail: every contact attempt and its outcome is in the audit log.
func TestEveryContactIsAudited(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageSurvey)
	h.at(at+8*contract.Day, func() {
		h.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: true, Satisfaction: 5})
	})
	h.run(contract.CaseInput{})
	h.result()
	contacts := map[string]int{}
	for _, e := range h.audit("") {
		if e.Contact {
			contacts[e.Kind]++
		}
	}
	want := map[string]int{contract.ActionPhoneVerified: 1, contract.ActionVisitReport: 1, contract.ActionNegotiationResult: 1,
		contract.ActionSurveyResult: 1}
	for k, n := range want {
		if contacts[k] != n {
			t.Errorf("audited contacts %v, want %s x%d", contacts, k, n)
		}
	}
}

// A negotiated settlement in full: one installment due today, and the case closes
// paid-in-full when it is paid.
func TestSettlementInFull(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageNegotiate)
	h.at(at, func() {
		h.accept(contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: "phone-1", Outcome: contract.NegotiationPaidInFull, LegalConsequencesExplained: true})
	})
	h.at(at+time.Hour, func() { h.accept(contract.ActionPaymentReceived, h.payment("all", 500000)) })
	h.at(at+9*contract.Day, func() {
		h.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: true, Satisfaction: 3})
	})
	h.run(contract.CaseInput{})
	if s := h.result(); s.Outcome != contract.OutcomePaidInFull || s.Plan == nil || !s.Plan.Settlement {
		t.Errorf("outcome %s plan %+v, want paid-in-full by settlement", s.Outcome, s.Plan)
	}
}

// A case that does not pass screening closes not-selected with the reason.
func TestNotSelected(t *testing.T) {
	h := newHarness(t)
	h.screen.Selected, h.screen.Reason = false, "below the days-past-due threshold (10 < 30)"
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Outcome != contract.OutcomeNotSelected || len(h.recordsOf(activities.RecordSummary)) != 1 {
		t.Fatalf("outcome %s, want not-selected with a summary", s.Outcome)
	}
	if !strings.Contains(s.Timeline[0].Reason, "days-past-due") {
		t.Errorf("timeline %+v, want the reason", s.Timeline[0])
	}
}
