//go:build integration

package itest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/score"
)

// The score on the real database: a history imported through COPY (bad rows by line, a
// second import changes nothing), a model trained twice on the same data is the same model,
// stored as versions, and the screening ranks by expected recovery: with the capacity of
// ten, the ten accounts that pay, where the plain order (most overdue first) would start
// the ones that do not.
func TestHistoryScoreAndRankedScreening(t *testing.T) {
	need(t)
	ctx := context.Background()
	region := strings.ToLower(stack.run) + "-score"
	const n = 120 // enough that the 30% held out by hash is never under the 20 the training asks
	accounts := strings.Join(book.Columns, ",") + "\n"
	history := strings.Join(book.HistoryColumns, ",") + ",credit_limit\n"
	outcomes := "account_id,paid\n"
	for i := range n {
		id := fmt.Sprintf("%s-score-%d", stack.run, i)
		payer := i%2 == 0
		dpd := map[bool]int{true: 40, false: 150}[payer] // the plain order starts the non-payers first
		accounts += fmt.Sprintf("%s,P,+886 900 %06d,A%d,%s,Asia/Taipei,TWD,500000,%d,open\n", id, i, i, region, dpd)
		for m := 4; m <= 9; m++ {
			late, paid := 0, 5000
			if !payer {
				late, paid = 30*(m-3), 0
			}
			history += fmt.Sprintf("%s,2025-%02d,%d,5000,%d,20000\n", id, m, late, paid)
		}
		outcomes += fmt.Sprintf("%s,%t\n", id, payer)
	}
	if _, err := book.Import(ctx, stack.db, strings.NewReader(accounts), nil); err != nil {
		t.Fatal(err)
	}
	bad := fmt.Sprintf("%s-score-0,2025-13,0,1,1,\nnobody-%s,2025-09,0,1,1,\n", stack.run, stack.run)
	st, err := book.ImportHistory(ctx, stack.db, strings.NewReader(history+bad), nil)
	if err != nil || st.Imported != 6*n || len(st.Rejected) != 2 || st.Rejected[0].Field != "month" || !strings.Contains(st.Rejected[1].Reason, "no account") {
		t.Fatalf("history: %+v %v, want %d new and the two bad rows by line", st, err, 6*n)
	}
	if st, err := book.ImportHistory(ctx, stack.db, strings.NewReader(history), nil); err != nil || st.Unchanged != 6*n || st.Imported+st.Updated != 0 {
		t.Fatalf("the same history again: %+v %v, want all unchanged", st, err)
	}
	if _, err := book.ImportOutcomes(ctx, stack.db, strings.NewReader(outcomes), "itest"); err != nil {
		t.Fatal(err)
	}
	p := score.DefaultParams
	p.Trees, p.MinLeaf = 20, 5
	first, err := backoffice.Train(ctx, stack.db, backoffice.SourceHistory, p)
	if err != nil {
		t.Fatal(err)
	}
	second, err := backoffice.Train(ctx, stack.db, backoffice.SourceHistory, p)
	if err != nil {
		t.Fatal(err)
	}
	if first.Report.ModelDigest != second.Report.ModelDigest || second.Version <= first.Version {
		t.Errorf("two trainings on the same data: %.12s (v%d) and %.12s (v%d), want one digest, two versions",
			first.Report.ModelDigest, first.Version, second.Report.ModelDigest, second.Version)
	}
	if _, err := backoffice.Promote(ctx, stack.db, second.Version); err != nil && !strings.Contains(err.Error(), "does not beat") {
		t.Fatal(err)
	}
	policy := contract.DefaultPolicy()
	pv, err := backoffice.Preview(ctx, stack.db, policy, backoffice.Filter{Region: region, Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Model == 0 || pv.Selected != n || pv.Started != 10 || pv.Expected <= pv.PlainExpected {
		t.Fatalf("dry run: %+v, want model, %d selected, 10 started, expected recovery above the plain order's", pv, n)
	}
	r, err := backoffice.Rank(ctx, stack.db, policy, backoffice.Filter{Region: region, Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Ranked {
		if a.DaysPastDue != 40 || !a.History {
			t.Errorf("ranked among the first ten: %+v, want a payer", a)
		}
	}
}

// The phone-first path end to end on the real stack: negotiated by phone once the pause
// after the verifying conversation allows a call, no visit, repaid; the strategy is in the
// status, the Strategy search attribute and the case summary, and report --by strategy
// counts it.
func TestPhoneFirstEndToEnd(t *testing.T) {
	need(t)
	ctx := context.Background()
	arm := "itest-phone-" + strings.ToLower(stack.run)
	run, err := cases().StartWith(ctx, contract.CaseInput{AccountID: newAccount(t), Policy: fastPolicy,
		Strategy: &contract.StrategyRef{Name: arm, Path: contract.PathPhoneFirst, Model: 1}})
	if err != nil {
		t.Fatal(err)
	}
	caseID := run.GetID()
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phone := st.Pending.Assignees[0]
	mustUpdate(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: phone, CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed})
	st = waitPending(t, caseID, contract.ActionNegotiationResult)
	if st.Stage != contract.StageNegotiate || st.Visits != 0 || st.Pending.NotBefore.IsZero() {
		t.Fatalf("after the verifying call: stage %s, visits %d, not before %v: want a phone negotiation after the pause", st.Stage, st.Visits, st.Pending.NotBefore)
	}
	time.Sleep(time.Until(st.Pending.NotBefore) + 100*time.Millisecond) // the pause after the conversation (7 case days of 1 s)
	mustUpdate(t, caseID, contract.ActionNegotiationResult, contract.NegotiationResult{AgentID: phone, Outcome: contract.NegotiationPaidInFull, LegalConsequencesExplained: true})
	mustUpdate(t, caseID, contract.ActionPaymentReceived, contract.PaymentReceived{PaymentID: "pf-" + caseID, Amount: st.AmountDue, PaidAt: nowRFC(), Channel: "bank"})
	final := result(t, caseID)
	if final.Outcome != contract.OutcomePaidInFull || final.Visits != 0 || final.Strategy != arm || final.ContactPath != contract.PathPhoneFirst {
		t.Fatalf("final: %s, visits %d, strategy %q path %q", final.Outcome, final.Visits, final.Strategy, final.ContactPath)
	}
	for _, e := range final.Timeline {
		if e.Kind == contract.ActionNegotiationResult && e.Violation != "" {
			t.Errorf("the phone negotiation broke a rule: %s", e.Violation)
		}
	}
	keepHistory(t, caseID, "phone-first")
	checkSearchAttributes(t, caseID, fmt.Sprintf(`Strategy = %q`, arm))
	var strategy string
	var visits int
	if err := stack.db.QueryRow(ctx, `SELECT strategy, visits FROM case_summaries WHERE case_id = $1`, final.CaseKey).Scan(&strategy, &visits); err != nil || strategy != arm {
		t.Fatalf("the case summary: %q %d %v", strategy, visits, err)
	}
	arms, err := backoffice.ByStrategy(ctx, stack.db, backoffice.Range{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range arms {
		if a.Strategy == arm {
			found = a.Cases == 1 && a.Recovered.Value == 1 && a.Visits.Value == 0
		}
	}
	if !found {
		t.Errorf("report --by strategy has no %s arm of one repaid case without a visit", arm)
	}
}
