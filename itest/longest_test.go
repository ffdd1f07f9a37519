//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/casework/casework/contract"
)

// The longest case: a 24-installment plan, broken twice (two renegotiations), then kept
// with every reminder. Its runs continue as new past 300 events (a policy knob, so the
// test sees several runs), the state crosses each hand-over, every reminder goes out once
// (or is skipped, recorded, when the call rules forbid a phone reminder),
// and each run stays far under the server's 2,000 updates per history.
func TestLongestCase(t *testing.T) {
	need(t)
	if testing.Short() {
		t.Skip("a minute of a long case")
	}
	ctx := context.Background()
	// a grace of ten days (4 s): the test pays each installment once it sees it due, and on a
	// loaded machine that took longer than the default three (1.2 s) once
	policy := json.RawMessage(`{"dayLength":"400ms","contactStartHour":0,"contactEndHour":24,"surveyDelay":"24h","continueAsNewAfter":300,"grace":"240h"}`)
	run, err := cases().Start(ctx, newAccount(t), policy)
	if err != nil {
		t.Fatal(err)
	}
	caseID := run.GetID()
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	mustUpdate(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed})
	st = waitPending(t, caseID, contract.ActionVisitReport)
	mustUpdate(t, caseID, contract.ActionVisitReport, contract.VisitReport{AgentIDs: st.Pending.Assignees, BadgesShown: true, VisitedAt: nowRFC(),
		AddressID: st.Pending.AddressID, DebtorMet: true, MonthlyCapacity: 50000, Willingness: contract.WillingnessHigh})
	plan := func(st *contract.Status) contract.NegotiationResult {
		today, _ := time.Parse(time.DateOnly, st.CaseDate)
		owed := st.AmountDue - st.AmountPaid
		n := contract.NegotiationResult{AgentID: st.Pending.Assignees[0], Outcome: contract.NegotiationPlanAgreed, LegalConsequencesExplained: true}
		for i := range 24 {
			amt := owed / 24
			if i == 23 {
				amt = owed - 23*(owed/24)
			}
			n.Installments = append(n.Installments, contract.PlanInstallment{DueDate: today.AddDate(0, 0, 5+3*i).Format(time.DateOnly), Amount: amt})
		}
		return n
	}
	for round := 1; round <= 3; round++ {
		st = waitPending(t, caseID, contract.ActionNegotiationResult)
		mustUpdate(t, caseID, contract.ActionNegotiationResult, plan(st))
		if round < 3 { // the debtor pays nothing: missed-payment, renegotiation
			continue
		}
		for i := range 24 {
			st = waitFor(t, caseID, fmt.Sprintf("installment %d due", i+1), func(s *contract.Status) bool {
				return s.Plan != nil && s.Plan.Number == 3 && s.CaseDate >= s.Plan.Installments[i].DueDate
			})
			in := st.Plan.Installments[i]
			mustUpdate(t, caseID, contract.ActionPaymentReceived, contract.PaymentReceived{PaymentID: fmt.Sprintf("%s-i%d", caseID, i+1), Amount: in.Amount - in.Paid, PaidAt: nowRFC(), Channel: "bank"})
		}
	}
	st = waitPending(t, caseID, contract.ActionSurveyResult)
	waitFor(t, caseID, "survey open", func(s *contract.Status) bool { return s.Pending == nil || !time.Now().Before(s.Pending.NotBefore) })
	mustUpdate(t, caseID, contract.ActionSurveyResult, contract.SurveyResult{AgentID: st.Pending.Assignees[0], Reached: true, Satisfaction: 5})
	st = result(t, caseID)
	if st.Outcome != contract.OutcomePlanCompleted || st.Renegotiations != 2 || st.Plan.Number != 3 {
		t.Fatalf("final: %s after %d renegotiations, plan %d", st.Outcome, st.Renegotiations, st.Plan.Number)
	}
	// the runs of the case: each one's events and updates
	resp, err := stack.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = %q", caseID)})
	if err != nil {
		t.Fatal(err)
	}
	runs, maxEvents, total := 0, int64(0), int64(0)
	for _, e := range resp.GetExecutions() {
		runs++
		total += e.GetHistoryLength()
		maxEvents = max(maxEvents, e.GetHistoryLength())
		updates := 0
		iter := stack.tc.GetWorkflowHistory(ctx, caseID, e.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
				updates++
			}
		}
		if updates >= 2000 {
			t.Errorf("run %s holds %d updates: the server refuses more than 2,000", e.GetExecution().GetRunId(), updates)
		}
	}
	t.Logf("longest case: %d runs, %d events in all, at most %d in a run; %d timeline entries kept (%d dropped)", runs, total, maxEvents, len(st.Timeline), st.TimelineDropped)
	if runs < 2 {
		t.Errorf("the case ran in %d run(s); it should have continued as new past 300 events", runs)
	}
	if st.Runs != runs {
		t.Errorf("the state counts %d runs, the server %d", st.Runs, runs)
	}
	var once, all, sms int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE attempts = 1), count(*),
			count(*) FILTER (WHERE message_key LIKE '%/plan-3/installment-%/reminder-1')
		FROM outbox WHERE case_id = $1 AND sent_at IS NOT NULL`, caseID).Scan(&once, &all, &sms); err != nil {
		t.Fatal(err)
	}
	// every SMS reminder of plan 3 went out; a phone reminder the call rules forbid is
	// skipped and recorded instead; none went out twice
	if once != all || sms != 24 {
		t.Errorf("reminders: %d sent, %d of them once, %d SMS of plan 3; want all once and 24 SMS", all, once, sms)
	}
	t.Logf("reminders and confirmations sent: %d", all)
}
