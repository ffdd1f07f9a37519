//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/store"
)

// fastPolicy runs a case day in one second, with contact allowed all day, so that a test
// drives a whole case in seconds (the window itself is tested in the workflow's tests).
var fastPolicy = json.RawMessage(`{"dayLength":"1s","contactStartHour":0,"contactEndHour":24,"surveyDelay":"24h","surveyDeadline":"240h"}`)

var accounts atomic.Int64

// newAccount imports a one-row book for a new account of this run and returns its id.
func newAccount(t *testing.T) string {
	t.Helper()
	id := fmt.Sprintf("%s-%d", stack.run, accounts.Add(1))
	csv := strings.Join(book.Columns, ",") + "\n" +
		fmt.Sprintf("%s,Synthetic Person %s,+886 900 000001,No. 1 Synthetic Lane (synthetic),north,Asia/Taipei,TWD,500000,90,open\n", id, id)
	st, err := book.Import(context.Background(), stack.db, strings.NewReader(csv), nil)
	if err != nil || st.Imported != 1 {
		t.Fatalf("import %s: %+v %v", id, st, err)
	}
	return id
}

// startCase starts the account's case with the fast policy.
func startCase(t *testing.T, account string) string {
	t.Helper()
	run, err := cases().Start(context.Background(), account, fastPolicy)
	if err != nil {
		t.Fatalf("start %s: %v", account, err)
	}
	return run.GetID()
}

func status(t *testing.T, caseID string) *contract.Status {
	t.Helper()
	st, err := tryStatus(caseID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func tryStatus(caseID string) (*contract.Status, error) {
	return cases().Status(context.Background(), caseID)
}

// waitFor polls the case's status until cond holds (or fails the test after a minute).
func waitFor(t *testing.T, caseID, what string, cond func(*contract.Status) bool) *contract.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := tryStatus(caseID)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("%s: waited a minute for %s: %v", caseID, what, err)
			}
			t.Fatalf("%s: waited a minute for %s; stage %s pending %+v", caseID, what, st.Stage, st.Pending)
		}
		time.Sleep(100 * time.Millisecond) // a query can time out while the case is busy: ask again
	}
}

// waitPending waits until the case waits for the action.
func waitPending(t *testing.T, caseID, action string) *contract.Status {
	t.Helper()
	return waitFor(t, caseID, action, func(s *contract.Status) bool { return s.Pending != nil && s.Pending.Action == action })
}

// cases is the case client the tests use (as the API, the demo and the benchmarks do).
func cases() *direct.Client { return &direct.Client{TC: stack.tc, DB: stack.db, Attempts: 3} }

// update sends a human action as an update and returns the rejection, if any.
func update(t *testing.T, caseID, action string, payload any) error {
	t.Helper()
	_, err := cases().Act(context.Background(), caseID, action, "", contract.MustJSON(payload))
	return err
}

func mustUpdate(t *testing.T, caseID, action string, payload any) {
	t.Helper()
	if err := update(t, caseID, action, payload); err != nil {
		t.Fatalf("%s %s: %v", caseID, action, err)
	}
}

func signal(t *testing.T, caseID, action string, payload any) {
	t.Helper()
	if err := cases().Signal(context.Background(), caseID, action, contract.MustJSON(payload)); err != nil {
		t.Fatalf("signal %s to %s: %v", action, caseID, err)
	}
}

func nowRFC() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// sender sends a human action: as an update or as a signal.
type sender func(t *testing.T, caseID, action string, payload any)

// driveToPlanCompleted drives a started case through every step with send, the way the
// agents would: each action when the case waits for it.
func driveToPlanCompleted(t *testing.T, caseID string, send sender) {
	t.Helper()
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	send(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed})
	st = waitPending(t, caseID, contract.ActionVisitReport)
	send(t, caseID, contract.ActionVisitReport, contract.VisitReport{AgentIDs: st.Pending.Assignees, BadgesShown: true, VisitedAt: nowRFC(),
		AddressID: st.Pending.AddressID, DebtorMet: true, MonthlyCapacity: 100000, Willingness: contract.WillingnessHigh})
	st = waitPending(t, caseID, contract.ActionNegotiationResult)
	today, err := time.Parse(time.DateOnly, st.CaseDate)
	if err != nil {
		t.Fatalf("case date %q: %v", st.CaseDate, err)
	}
	send(t, caseID, contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: st.Pending.Assignees[0], Outcome: contract.NegotiationPlanAgreed,
		LegalConsequencesExplained: true, Installments: []contract.PlanInstallment{
			{DueDate: today.AddDate(0, 0, 5).Format(time.DateOnly), Amount: 200000},
			{DueDate: today.AddDate(0, 0, 8).Format(time.DateOnly), Amount: 300000}}})
	// the debtor pays each installment on its due date, after its reminders
	for i, amt := range []int64{200000, 300000} {
		waitFor(t, caseID, fmt.Sprintf("installment %d due", i+1), func(s *contract.Status) bool {
			return s.Plan != nil && s.CaseDate >= s.Plan.Installments[i].DueDate
		})
		send(t, caseID, contract.ActionPaymentReceived, contract.PaymentReceived{PaymentID: fmt.Sprintf("%s-pay-%d", caseID, i+1), Amount: amt, PaidAt: nowRFC(), Channel: "bank"})
	}
	st = waitPending(t, caseID, contract.ActionSurveyResult)
	waitFor(t, caseID, "survey open", func(s *contract.Status) bool { return s.Pending == nil || !time.Now().Before(s.Pending.NotBefore) })
	send(t, caseID, contract.ActionSurveyResult, contract.SurveyResult{AgentID: st.Pending.Assignees[0], Reached: true, Satisfaction: 4})
}

// result waits for the case to close and returns its final status.
func result(t *testing.T, caseID string) *contract.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var st contract.Status
	if err := stack.tc.GetWorkflow(ctx, caseID, "").Get(ctx, &st); err != nil {
		t.Fatalf("result of %s: %v", caseID, err)
	}
	return &st
}

// migrate migrates as the owner, granting the runtime role named by CASEWORK_RUNTIME_ROLE
// (casework_app when unset).
func migrate(ctx context.Context) ([]int, error) {
	return store.MigrateAs(ctx, stack.owner, os.Getenv("CASEWORK_RUNTIME_ROLE"))
}
