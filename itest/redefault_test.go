//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/casework/casework/contract"
)

// An account whose case closed defaults again: its new case (the same workflow ID, a new
// run) has records of its own beside the old case's, even when the old case had continued
// as new; the old case's records stay as they were, and the new case's task reaches the
// agent's inbox.
func TestReDefaultedAccountGetsANewCaseBesideTheOld(t *testing.T) {
	need(t)
	ctx := context.Background()
	account := newAccount(t)
	policy := json.RawMessage(strings.Replace(string(fastPolicy), "{", `{"continueAsNewAfter": 100, `, 1))
	run, err := cases().Start(ctx, account, policy)
	if err != nil {
		t.Fatal(err)
	}
	caseID := run.GetID()
	waitPending(t, caseID, contract.ActionPhoneVerified)
	// supervisors pause and resume until the run continues as new
	for i := 0; status(t, caseID).Runs < 2; i++ {
		if i > 40 {
			t.Fatalf("no continue-as-new after %d pause/resume pairs (%s)", i, caseID)
		}
		mustUpdate(t, caseID, contract.ActionPause, contract.SupervisorAction{By: "sup-1", Reason: "check"})
		mustUpdate(t, caseID, contract.ActionResume, contract.SupervisorAction{By: "sup-1", Reason: "ok"})
	}
	waitPending(t, caseID, contract.ActionPhoneVerified)
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "sold"})
	first := result(t, caseID)
	if first.CaseKey != caseID || first.Runs < 2 {
		t.Fatalf("first case: key %q runs %d, want %s over at least 2 runs", first.CaseKey, first.Runs, caseID)
	}
	count := func(key string) (audit, tasks, openTasks int) {
		t.Helper()
		if err := stack.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_trail WHERE case_id = $1),
			(SELECT count(*) FROM tasks WHERE case_id = $1 AND status <> 'void'), (SELECT count(*) FROM tasks WHERE case_id = $1 AND status = 'open')`, key).
			Scan(&audit, &tasks, &openTasks); err != nil {
			t.Fatal(err)
		}
		return
	}
	audit1, tasks1, _ := count(caseID)

	// the account defaults again
	if _, err := cases().Start(ctx, account, fastPolicy); err != nil {
		t.Fatal(err)
	}
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	if st.CaseKey != caseID+"#2" || st.Runs != 1 {
		t.Fatalf("second case: key %q runs %d, want %s#2 in its first run", st.CaseKey, st.Runs, caseID)
	}
	audit2, tasks2, open2 := count(st.CaseKey)
	if audit2 == 0 || tasks2 != 1 || open2 != 1 {
		t.Errorf("second case's records: audit %d, tasks %d (open %d); want its own, with its open task", audit2, tasks2, open2)
	}
	if a, tk, _ := count(caseID); a != audit1 || tk != tasks1 {
		t.Errorf("the first case's records changed: audit %d -> %d, tasks %d -> %d", audit1, a, tasks1, tk)
	}
	inbox, err := cases().Inbox(ctx, st.Pending.Assignees[0])
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, task := range inbox {
		found = found || (task.CaseID == caseID && task.Action == contract.ActionPhoneVerified)
	}
	if !found {
		t.Errorf("the new case's task is not in %s's inbox: %+v", st.Pending.Assignees[0], inbox)
	}
	// payments are keyed per case: the same payment id in the new case counts there
	mustUpdate(t, caseID, contract.ActionPaymentReceived, contract.PaymentReceived{PaymentID: "p-1", Amount: 100, PaidAt: nowRFC(), Channel: "bank"})
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	result(t, caseID)
	var paid int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM payments WHERE case_id = $1 AND payment_id = 'p-1'`, st.CaseKey).Scan(&paid); err != nil || paid != 1 {
		t.Errorf("payment p-1 of the second case: %d rows, %v", paid, err)
	}
}
