//go:build integration

package itest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
)

func byUpdate(t *testing.T, caseID, action string, payload any) {
	mustUpdate(t, caseID, action, payload)
}

// A case driven to plan-completed by updates, on the real server and PostgreSQL: the
// business record, the reminders and the search attributes all agree with the case.
func TestCasePlanCompletedByUpdates(t *testing.T) {
	need(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	driveToPlanCompleted(t, caseID, byUpdate)
	st := result(t, caseID)
	if st.Outcome != contract.OutcomePlanCompleted || st.AmountPaid != 500000 {
		t.Fatalf("final: outcome %s paid %d", st.Outcome, st.AmountPaid)
	}
	checkRecord(t, st)
	checkSearchAttributes(t, caseID, `CaseStage = "closed" AND CaseOutcome = "plan-completed" AND Region = "north"`)
	keepHistory(t, caseID, "plan-completed-by-updates")
}

// A case driven by signals only, with an invalid signal among them: it is recorded as
// rejected in the timeline and the audit log, and the case goes on.
func TestCaseBySignalsWithAnInvalidOne(t *testing.T) {
	need(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	signal(t, caseID, contract.ActionPhoneVerified, map[string]any{"agentId": st.Pending.Assignees[0], "calledAt": nowRFC(), "outcome": "confirmed", "mood": "cheerful"})
	waitFor(t, caseID, "the rejection", func(s *contract.Status) bool {
		for _, e := range s.Timeline {
			if e.Kind == contract.ActionPhoneVerified && !e.Accepted {
				return true
			}
		}
		return false
	})
	bySignal := func(t *testing.T, caseID, action string, payload any) { signal(t, caseID, action, payload) }
	driveToPlanCompleted(t, caseID, bySignal)
	st = result(t, caseID)
	if st.Outcome != contract.OutcomePlanCompleted {
		t.Fatalf("outcome %s, want plan-completed", st.Outcome)
	}
	var reason string
	err := stack.db.QueryRow(context.Background(), `SELECT reason FROM audit_log WHERE case_id = $1 AND kind = $2 AND NOT accepted`,
		caseID, contract.ActionPhoneVerified).Scan(&reason)
	if err != nil || !contains(reason, `"mood": unknown field`) {
		t.Errorf("audit row of the rejected signal: %q %v", reason, err)
	}
	checkRecord(t, st)
	keepHistory(t, caseID, "signals-with-an-invalid-one")
}

// A second start of an open case is refused cleanly.
func TestDuplicateStartRefused(t *testing.T) {
	need(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	_, err := cases().Start(context.Background(), account, fastPolicy)
	if !errors.Is(err, direct.ErrAlreadyOpen) {
		t.Fatalf("second start: %v, want ErrAlreadyOpen", err)
	}
	waitPending(t, caseID, contract.ActionPhoneVerified)
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	if st := result(t, caseID); st.Outcome != contract.OutcomeClosedBySupervisor {
		t.Errorf("outcome %s", st.Outcome)
	}
}

// A bad update is rejected with the field and the reason and never enters history.
func TestBadUpdateRejectedWithField(t *testing.T) {
	need(t)
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	err := update(t, caseID, contract.ActionPhoneVerified, map[string]any{"agentId": st.Pending.Assignees[0], "calledAt": nowRFC(), "outcome": "maybe"})
	if err == nil || !contains(err.Error(), `field "outcome": must be one of`) {
		t.Fatalf("bad update: %v, want the outcome field named", err)
	}
	iter := stack.tc.GetWorkflowHistory(context.Background(), caseID, "", false, 0)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil {
			t.Fatalf("a rejected update entered history: %v", ev)
		}
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	result(t, caseID)
}

// checkRecord compares PostgreSQL's business record of a closed case with its status.
func checkRecord(t *testing.T, st *contract.Status) {
	t.Helper()
	ctx := context.Background()
	var stage, outcome string
	var paid int64
	if err := stack.db.QueryRow(ctx, `SELECT stage, outcome, amount_paid FROM cases WHERE case_id = $1`, st.CaseID).Scan(&stage, &outcome, &paid); err != nil {
		t.Fatalf("case row: %v", err)
	}
	if stage != "closed" || outcome != string(st.Outcome) || paid != st.AmountPaid {
		t.Errorf("case row %s %s %d, want closed %s %d", stage, outcome, paid, st.Outcome, st.AmountPaid)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM audit_log WHERE case_id = $1`:                      len(st.Timeline),
		`SELECT count(*) FROM payments WHERE case_id = $1`:                       len(st.PaymentIDs),
		`SELECT count(*) FROM case_summaries WHERE case_id = $1`:                 1,
		`SELECT count(*) FROM tasks WHERE case_id = $1 AND status = 'open'`:      0,
		`SELECT count(*) FROM outbox WHERE case_id = $1 AND sent_at IS NOT NULL`: countSent(st),
		`SELECT count(*) FROM visits WHERE case_id = $1`:                         1,
		`SELECT count(*) FROM installments WHERE case_id = $1 AND paid = amount`: len(st.Plan.Installments),
	} {
		var n int
		if err := stack.db.QueryRow(ctx, q, st.CaseID).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	// every reminder handed to the channel once: a hand-off claimed twice (the first
	// claim's answer lost with its connection) still reaches the channel once
	rows, err := stack.db.Query(ctx, `SELECT message_key FROM outbox WHERE case_id = $1 AND sent_at IS NOT NULL`, st.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n := stack.sent.times(k); n != 1 {
			t.Errorf("reminder %s handed to the channel %d times, want once", k, n)
		}
	}
	if st.TimelineDropped != 0 {
		t.Errorf("timeline dropped %d entries: the audit count check is incomplete", st.TimelineDropped)
	}
}

// countSent counts the reminders the case's timeline says went out.
func countSent(st *contract.Status) int {
	n := 0
	for _, e := range st.Timeline {
		if (e.Kind == "reminder-sms" || e.Kind == "reminder-phone" || e.Kind == "plan-confirmation") && e.Accepted {
			n++
		}
	}
	return n
}

// checkSearchAttributes waits until the visibility query lists the case.
func checkSearchAttributes(t *testing.T, caseID, query string) {
	t.Helper()
	q := fmt.Sprintf(`%s AND WorkflowId = %q`, query, caseID)
	deadline := time.Now().Add(30 * time.Second)
	for countQuery(t, q) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("visibility never listed %s for %s", caseID, query)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// countQuery counts the workflows a visibility query lists.
func countQuery(t *testing.T, q string) int64 {
	t.Helper()
	resp, err := stack.tc.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: q})
	if err != nil {
		t.Fatalf("count %s: %v", q, err)
	}
	return resp.GetCount()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
