//go:build integration

package itest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

// Each Web UI filter of the README finds the case it is for, on the real server's
// visibility store, and the README shows every one.
func TestWebUIFilters(t *testing.T) {
	need(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range contract.Filters {
		if !strings.Contains(string(readme), f.Query) {
			t.Errorf("README lacks the filter %q", f.Query)
		}
	}
	start := func(policy string) string {
		run, err := cases().Start(t.Context(), newAccount(t), json.RawMessage(policy))
		if err != nil {
			t.Fatal(err)
		}
		return run.GetID()
	}
	// a visit past its deadline: one case day to visit, nobody goes
	late := start(`{"dayLength":"1s","contactStartHour":0,"contactEndHour":24,"visitDeadline":"24h"}`)
	st := waitPending(t, late, contract.ActionPhoneVerified)
	mustUpdate(t, late, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed})
	waitFor(t, late, "a missed visit deadline", func(s *contract.Status) bool {
		return s.Pending != nil && s.Pending.Action == contract.ActionVisitReport && s.Pending.Misses > 0
	})
	// a dispute
	disputed := startCase(t, newAccount(t))
	st = waitPending(t, disputed, contract.ActionPhoneVerified)
	mustUpdate(t, disputed, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: st.Pending.Assignees[0]})
	// repayment in the north (the test accounts' region)
	repaying := startCase(t, newAccount(t))
	st = waitPending(t, repaying, contract.ActionPhoneVerified)
	mustUpdate(t, repaying, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed})
	st = waitPending(t, repaying, contract.ActionVisitReport)
	mustUpdate(t, repaying, contract.ActionVisitReport, contract.VisitReport{AgentIDs: st.Pending.Assignees, BadgesShown: true, VisitedAt: nowRFC(),
		AddressID: st.Pending.AddressID, DebtorMet: true, MonthlyCapacity: 1, Willingness: contract.WillingnessLow})
	st = waitPending(t, repaying, contract.ActionNegotiationResult)
	mustUpdate(t, repaying, contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: st.Pending.Assignees[0],
		Outcome: contract.NegotiationPlanAgreed, LegalConsequencesExplained: true,
		Installments: []contract.PlanInstallment{{DueDate: futureDate(st, 60), Amount: 500000}}})
	// a guardrail violation: the second call of a case whose cap is one call a week
	violated := start(`{"dayLength":"1s","contactStartHour":0,"contactEndHour":24,"maxCalls":1}`)
	st = waitPending(t, violated, contract.ActionPhoneVerified)
	for range 2 {
		mustUpdate(t, violated, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(), Outcome: contract.PhoneUnreachable})
	}
	// supervisors: the disputed case waits for them
	for query, caseID := range map[string]string{
		contract.Filters[0].Query: late,
		contract.Filters[1].Query: disputed,
		contract.Filters[2].Query: repaying,
		contract.Filters[3].Query: violated,
		contract.Filters[4].Query: disputed,
	} {
		checkSearchAttributes(t, caseID, query)
	}
	// and a filter does not list what it is not for
	if n := countQuery(t, contract.Filters[1].Query+` AND WorkflowId = "`+repaying+`"`); n != 0 {
		t.Errorf("the dispute filter lists a case in repayment")
	}
	for _, id := range []string{late, disputed, repaying, violated} {
		mustUpdate(t, id, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	}
}

func futureDate(st *contract.Status, days int) string {
	d, _ := time.Parse(time.DateOnly, st.CaseDate)
	return d.AddDate(0, 0, days).Format(time.DateOnly)
}
