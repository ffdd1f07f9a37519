//go:build integration

package itest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
)

// The real 30,000-row book goes through the import; imported again it duplicates
// nothing and changes nothing.
func TestImportTheRealBookTwice(t *testing.T) {
	need(t)
	var csv strings.Builder
	f, err := os.Open("../data/uci-credit-default/default-of-credit-card-clients.csv")
	if err != nil {
		t.Skipf("the UCI file is not beside the repo: %v", err)
	}
	defer func() { _ = f.Close() }() // read only
	if _, err := demo.UCIBook(f, &csv); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2 {
		t0 := time.Now()
		st, err := book.Import(ctx, stack.db, strings.NewReader(csv.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("import %d: %s, %+v", i+1, time.Since(t0).Round(time.Millisecond), struct{ Read, Imported, Updated, Unchanged int }{st.Read, st.Imported, st.Updated, st.Unchanged})
		if st.Read != 30000 || len(st.Rejected) != 0 || st.Imported+st.Updated+st.Unchanged != 30000 {
			t.Fatalf("import %d: %+v", i+1, st)
		}
		if i == 1 && (st.Imported != 0 || st.Updated != 0) {
			t.Errorf("the second import changed %d and added %d accounts, want none", st.Updated, st.Imported)
		}
	}
	var accounts, phones, addresses int
	if err := stack.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts WHERE account_id LIKE 'UCI-%'),
		(SELECT count(*) FROM phones WHERE account_id LIKE 'UCI-%'), (SELECT count(*) FROM addresses WHERE account_id LIKE 'UCI-%' AND source = 'import')`).
		Scan(&accounts, &phones, &addresses); err != nil {
		t.Fatal(err)
	}
	if accounts != 30000 || phones != 30000 || addresses != 30000 {
		t.Errorf("after two imports: %d accounts, %d phones, %d addresses; want 30000 each", accounts, phones, addresses)
	}
}

// A book with bad rows: each reported by line and reason, the good ones imported; a
// changed row is updated in place.
func TestImportKeepsGoodRowsAndUpdatesInPlace(t *testing.T) {
	need(t)
	ctx := context.Background()
	id := fmt.Sprintf("%s-book", stack.run)
	good := func(amount int) string {
		return fmt.Sprintf("%s,Synthetic Person,+886 900 000001,No. 1 Synthetic Lane,north,Asia/Taipei,TWD,%d,60,open\n", id, amount)
	}
	csv := strings.Join(book.Columns, ",") + "\n" + good(150000) +
		fmt.Sprintf("%s-bad,Synthetic Person,+886 900 000002,No. 2 Synthetic Lane,north,Asia/Taipei,TWD,lots,60,open\n", id)
	st, err := book.Import(ctx, stack.db, strings.NewReader(csv), nil)
	if err != nil || st.Imported != 1 || len(st.Rejected) != 1 || st.Rejected[0].Line != 3 || st.Rejected[0].Field != "amount_due" {
		t.Fatalf("first import: %+v %v", st, err)
	}
	st, err = book.Import(ctx, stack.db, strings.NewReader(strings.Join(book.Columns, ",")+"\n"+good(120000)), nil)
	if err != nil || st.Updated != 1 || st.Imported != 0 {
		t.Fatalf("re-import of a changed row: %+v %v", st, err)
	}
	var amount int64
	var n int
	if err := stack.db.QueryRow(ctx, `SELECT amount_due, (SELECT count(*) FROM accounts WHERE account_id LIKE $1 || '%') FROM accounts WHERE account_id = $1`, id).Scan(&amount, &n); err != nil || amount != 120000 || n != 1 {
		t.Errorf("after the update: amount %d, %d rows, %v", amount, n, err)
	}
}

// A book of many bad rows (bad amounts, then repeated ids: found by the parser and by
// PostgreSQL) lists the first book.MaxRejectedListed by line and counts them all; its good
// rows are imported.
func TestImportListsTheFirstRejectionsAndCountsAll(t *testing.T) {
	need(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(strings.Join(book.Columns, ",") + "\n")
	row := func(id, amount string) {
		fmt.Fprintf(&b, "%s,Synthetic Person,+886 900 000003,No. 3 Synthetic Lane,north,Asia/Taipei,TWD,%s,60,open\n", id, amount)
	}
	const good, bad = 50, 1500
	for i := range good {
		row(fmt.Sprintf("%s-many-%d", stack.run, i), "150000")
	}
	for i := range bad { // lines good+2 ...: a repeated id each (the first kept), found by PostgreSQL
		row(fmt.Sprintf("%s-many-%d", stack.run, i%good), "150000")
	}
	for range bad { // then bad amounts, found by the parser
		row(stack.run+"-many-bad", "lots")
	}
	st, err := book.Import(ctx, stack.db, strings.NewReader(b.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Imported != good || st.RejectedTotal != 2*bad || len(st.Rejected) != book.MaxRejectedListed {
		t.Fatalf("imported %d, rejected %d (%d listed); want %d, %d (%d listed)", st.Imported, st.RejectedTotal, len(st.Rejected), good, 2*bad, book.MaxRejectedListed)
	}
	for i, e := range st.Rejected { // the first by line: the repeated ids, from line good+2 on
		if e.Line != good+2+i || e.Field != "account_id" {
			t.Fatalf("listed[%d] = %v, want line %d, account_id", i, e, good+2+i)
		}
	}
}

// A book's repeated account id is rejected by line, the first row kept; a new phone on a
// later import is added and becomes the account's current one, the old one kept; the same
// book again changes nothing.
func TestImportRepeatedIDsAndChangedContacts(t *testing.T) {
	need(t)
	ctx := context.Background()
	id := stack.run + "-dup"
	row := func(phone, address string) string {
		return fmt.Sprintf("%s,Synthetic Person,%s,%s,north,Asia/Taipei,TWD,150000,60,open\n", id, phone, address)
	}
	head := strings.Join(book.Columns, ",") + "\n"
	st, err := book.Import(ctx, stack.db, strings.NewReader(head+row("+886 900 000001", "No. 1 Lane")+row("+886 900 000009", "No. 9 Lane")), nil)
	if err != nil || st.Read != 2 || st.Imported != 1 || len(st.Rejected) != 1 || st.Rejected[0].Line != 3 ||
		!strings.Contains(st.Rejected[0].Reason, "first on line 2") {
		t.Fatalf("a repeated id: %+v %v, want line 3 rejected and line 2 imported", st, err)
	}
	current := func() (phone, address string, phones int) {
		t.Helper()
		if err := stack.db.QueryRow(ctx, `SELECT p.number, ad.address, (SELECT count(*) FROM phones WHERE account_id = $1)
			FROM accounts a JOIN phones p ON p.phone_id = a.phone_id JOIN addresses ad ON ad.address_id = a.address_id
			WHERE a.account_id = $1`, id).Scan(&phone, &address, &phones); err != nil {
			t.Fatal(err)
		}
		return
	}
	if phone, address, _ := current(); phone != "+886900000001" && phone != "+886 900 000001" || address != "No. 1 Lane" {
		t.Errorf("after the first import: %s, %s, want line 2's", phone, address)
	}
	st, err = book.Import(ctx, stack.db, strings.NewReader(head+row("+886 900 000002", "No. 1 Lane")), nil)
	if err != nil || st.Updated != 1 || st.Imported != 0 || st.Unchanged != 0 {
		t.Fatalf("a changed phone: %+v %v, want 1 updated", st, err)
	}
	if phone, _, phones := current(); !strings.HasSuffix(strings.ReplaceAll(phone, " ", ""), "900000002") || phones != 2 {
		t.Errorf("after the new phone: current %s, %d phones, want the new one current and both kept", phone, phones)
	}
	st, err = book.Import(ctx, stack.db, strings.NewReader(head+row("+886 900 000002", "No. 1 Lane")), nil)
	if err != nil || st.Unchanged != 1 || st.Updated != 0 || st.Imported != 0 {
		t.Fatalf("the same book again: %+v %v, want 1 unchanged", st, err)
	}
}

// The import and an agent record the same new address for an account at once: the agent's
// insert is under way, not committed, when the import reaches its own. The import waits for
// it; when the agent's commits, the import keeps that row (one row, not two) and points the
// account at it; when the agent's is rolled back, the import writes its own.
func TestImportMeetsAnAgentsAddress(t *testing.T) {
	need(t)
	ctx := context.Background()
	head := strings.Join(book.Columns, ",") + "\n"
	for _, agentCommits := range []bool{true, false} {
		id := fmt.Sprintf("%s-race-%t", stack.run, agentCommits)
		row := func(address string) string {
			return fmt.Sprintf("%s,Synthetic Person,+886 900 000001,%s,north,Asia/Taipei,TWD,150000,60,open\n", id, address)
		}
		if _, err := book.Import(ctx, stack.db, strings.NewReader(head+row("No. 1 Race Lane")), nil); err != nil {
			t.Fatal(err)
		}
		agent, err := stack.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = agent.Rollback(ctx) }() // a test that stops early must not leave the import waiting; after a commit a no-op
		var agents string
		if err := agent.QueryRow(ctx, `INSERT INTO addresses (account_id, address, source, recorded_by)
			VALUES ($1, 'No. 2 Race Lane', 'agent', 'phone-race') RETURNING address_id`, id).Scan(&agents); err != nil {
			t.Fatal(err)
		}
		type imported struct {
			st  book.Stats
			err error
		}
		done := make(chan imported, 1)
		go func() {
			st, err := book.Import(ctx, stack.db, strings.NewReader(head+row("No. 2 Race Lane")), nil)
			done <- imported{st, err}
		}()
		// the import's insert waits for the agent's row
		deadline := time.Now().Add(30 * time.Second)
		for waiting := 0; waiting == 0; {
			if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO addresses%'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-done:
				t.Fatalf("agent commits %t: the import ended without waiting for the agent's row: %+v %v", agentCommits, r.st, r.err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("agent commits %t: the import never waited for the agent's row", agentCommits)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if agentCommits {
			err = agent.Commit(ctx)
		} else {
			err = agent.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil || r.st.Updated != 1 || r.st.Imported != 0 {
			t.Fatalf("agent commits %t: the import: %+v %v, want the account updated", agentCommits, r.st, r.err)
		}
		var current, address string
		var rows int
		if err := stack.db.QueryRow(ctx, `SELECT a.address_id, coalesce(ad.address, ''),
				(SELECT count(*) FROM addresses WHERE account_id = $1 AND address = 'No. 2 Race Lane')
			FROM accounts a LEFT JOIN addresses ad ON ad.address_id = a.address_id WHERE a.account_id = $1`, id).
			Scan(&current, &address, &rows); err != nil {
			t.Fatal(err)
		}
		if address != "No. 2 Race Lane" || rows != 1 || agentCommits != (current == agents) {
			t.Errorf("agent commits %t: the account's address %s (%q), %d rows of it; the agent's row is %s",
				agentCommits, current, address, rows, agents)
		}
	}
}

// Screening starts the cases of the accounts that pass, each once; run again, it starts
// none; the workflow's own screening agrees.
func TestScreenStartsEachSelectedCaseOnce(t *testing.T) {
	need(t)
	ctx := context.Background()
	region := strings.ToLower(stack.run) + "-r"
	rows := []string{
		"%s-1,P,+886 900 000001,A1,%s,Asia/Taipei,TWD,500000,90,open",     // selected
		"%s-2,P,+886 900 000002,A2,%s,Asia/Taipei,TWD,500000,10,open",     // too recent
		"%s-3,P,+886 900 000003,A3,%s,Asia/Taipei,TWD,5000,90,open",       // too small
		"%s-4,P,+886 900 000004,A4,%s,Asia/Taipei,TWD,500000,90,disputed", // disputed
		"%s-5,P,+886 900 000005,A5,%s,Asia/Taipei,TWD,900000,120,open",    // selected
	}
	csv := strings.Join(book.Columns, ",") + "\n"
	for _, r := range rows {
		csv += fmt.Sprintf(r, stack.run+"s", region) + "\n"
	}
	if _, err := book.Import(ctx, stack.db, strings.NewReader(csv), nil); err != nil {
		t.Fatal(err)
	}
	p, err := contract.DefaultPolicy().WithOverrides(fastPolicy)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := backoffice.Preview(ctx, stack.db, p, backoffice.Filter{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	var got []backoffice.Bucket
	for _, b := range preview.Buckets {
		b.Expected = 0 // with the champion model of the moment, if any
		got = append(got, b)
	}
	want := []backoffice.Bucket{{Region: region, Bucket: "61-90", Accounts: 1, AmountDue: 500000}, {Region: region, Bucket: "90+", Accounts: 1, AmountDue: 900000}}
	if !slices.Equal(got, want) || preview.Selected != 2 || preview.Started != 2 {
		t.Fatalf("dry run: %+v, want %+v", preview, want)
	}
	res, err := backoffice.Screen(ctx, stack.db, stack.tc, p, backoffice.Filter{Region: region}, backoffice.Pace{Concurrency: 4, PerSecond: 50}, fastPolicy, nil)
	if err != nil || res.Selected != 2 || res.Started != 2 {
		t.Fatalf("screen: %+v %v, want 2 selected and started", res, err)
	}
	again, err := backoffice.Screen(ctx, stack.db, stack.tc, p, backoffice.Filter{Region: region}, backoffice.Pace{Concurrency: 4, PerSecond: 50}, fastPolicy, nil)
	if err != nil || again.Started != 0 {
		t.Fatalf("screen again: %+v %v, want none started", again, err)
	}
	for _, n := range []int{1, 5} {
		caseID := contract.WorkflowID(fmt.Sprintf("%ss-%d", stack.run, n))
		// the test's region has no agents: the case waits for a supervisor to staff it
		waitPending(t, caseID, contract.ActionReassign)
		mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
		result(t, caseID)
	}
	// the workflow screens again when it starts: a disputed account closes not-selected
	caseID := startCase(t, stack.run+"s-4")
	if st := result(t, caseID); st.Outcome != contract.OutcomeNotSelected {
		t.Errorf("disputed account's case: %s, want not-selected", st.Outcome)
	}
}
