//go:build integration

package itest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// PostgreSQL fails under the worker while a case runs (every connection of the worker is
// killed again and again), and the first result of every activity of the case is lost
// after its work was done. The activities are retried, and the case completes with every
// record, payment and reminder written once.
func TestActivitiesRetriedAfterPostgresFailureWriteOnce(t *testing.T) {
	need(t)
	account := newAccount(t)
	stack.lost.cases.Store(contract.WorkflowID(account), true)
	lostBefore := stack.lost.lost.Load()
	caseID := startCase(t, account)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // a failing test must not leave the killer running for the next tests
	killed := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				var n int
				err := stack.db.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, workerApp).Scan(&n)
				if err == nil {
					killed += n
				}
			}
		}
	}()
	driveToPlanCompleted(t, caseID, byUpdate)
	st := result(t, caseID)
	cancel()
	wg.Wait()
	lost := stack.lost.lost.Load() - lostBefore
	if killed == 0 || lost == 0 {
		t.Fatalf("killed %d connections, lost %d results: the test proved nothing", killed, lost)
	}
	t.Logf("killed %d worker connections and lost %d activity results during the case", killed, lost)
	if st.Outcome != contract.OutcomePlanCompleted {
		t.Fatalf("outcome %s", st.Outcome)
	}
	checkRecord(t, st)
	keepHistory(t, caseID, "retries-after-failures")
}

// Persist retried with the same batch (its first result lost) writes nothing twice.
func TestPersistIsIdempotent(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	caseID := contract.WorkflowID(newAccount(t))
	at := time.Now().UTC()
	batch := activities.Batch{CaseID: caseID, Records: []activities.Record{
		{Key: caseID + "/1", Kind: activities.RecordAudit, CaseID: caseID, Seq: 1, At: at, Audit: &activities.AuditEntry{Kind: "screen", Actor: "workflow", Accepted: true}},
		{Key: caseID + "/2", Kind: activities.RecordPayment, CaseID: caseID, Seq: 2, At: at, Payment: &contract.PaymentReceived{PaymentID: caseID + "-p", Amount: 5, PaidAt: at.Format(time.RFC3339), Channel: "bank"}},
		{Key: caseID + "/3", Kind: activities.RecordAlert, CaseID: caseID, Seq: 3, At: at, Alert: &activities.Alert{Kind: "test", Message: "once"}},
	}}
	for range 3 {
		if err := acts.Persist(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"audit_log", "payments", "alerts"} {
		var n int
		if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE case_id = $1`, caseID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s rows after three identical batches = %d, want 1", table, n)
		}
	}
}

// A batch is written whole or not at all, though its statements go to PostgreSQL in one
// round trip: when its last record fails (here a trigger refuses it, an error that is not
// the record's data, so nothing is set aside), the case row and the audit entry before it
// are not written either, and the error names the record.
func TestPersistWritesAllOrNothing(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	account := newAccount(t)
	caseID := contract.WorkflowID(account)
	refuse := "refused by TestPersistWritesAllOrNothing " + caseID
	if _, err := stack.owner.Exec(ctx, `CREATE OR REPLACE FUNCTION itest_refuse_alert() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.message LIKE 'refused by TestPersistWritesAllOrNothing %' THEN RAISE EXCEPTION 'itest: alert refused'; END IF;
			RETURN NEW;
		END $$;
		DROP TRIGGER IF EXISTS itest_refuse_alert ON alerts;
		CREATE TRIGGER itest_refuse_alert BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION itest_refuse_alert()`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := stack.owner.Exec(context.Background(), `DROP TRIGGER IF EXISTS itest_refuse_alert ON alerts; DROP FUNCTION IF EXISTS itest_refuse_alert()`); err != nil {
			t.Error(err)
		}
	})
	at := time.Now().UTC()
	batch := activities.Batch{CaseID: caseID, Records: []activities.Record{
		{Key: caseID + "/1", Kind: activities.RecordCase, CaseID: caseID, Seq: 1, At: at,
			Case: &activities.CaseRow{AccountID: account, Stage: contract.StagePhoneVerify, AmountDue: 100, Region: "north"}},
		{Key: caseID + "/2", Kind: activities.RecordAudit, CaseID: caseID, Seq: 2, At: at, Audit: &activities.AuditEntry{Kind: "screen", Actor: "workflow", Accepted: true}},
		{Key: caseID + "/3", Kind: activities.RecordPlan, CaseID: caseID, Seq: 3, At: at, Plan: &contract.Plan{Number: 1, AgreedAt: at, AgreedBy: "phone-1",
			Installments: []contract.Installment{{DueDate: "2026-12-01", Amount: 50}, {DueDate: "2027-01-01", Amount: 50}}}},
		{Key: caseID + "/4", Kind: activities.RecordAlert, CaseID: caseID, Seq: 4, At: at, Alert: &activities.Alert{Kind: "test", Message: refuse}},
	}}
	err := acts.Persist(ctx, batch)
	if err == nil || !strings.Contains(err.Error(), caseID+"/4 (alert)") || !strings.Contains(err.Error(), "itest: alert refused") {
		t.Fatalf("Persist = %v, want the refusal of record %s/4 (alert)", err, caseID)
	}
	var cases, audit, plans int
	if err := stack.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE case_id = $1), (SELECT count(*) FROM audit_log WHERE case_id = $1),
		(SELECT count(*) FROM installments WHERE case_id = $1)`, caseID).Scan(&cases, &audit, &plans); err != nil {
		t.Fatal(err)
	}
	if cases != 0 || audit != 0 || plans != 0 {
		t.Errorf("after a refused batch: %d case rows, %d audit rows and %d installments written, want none", cases, audit, plans)
	}
}

// A workflow task whose worker died after its local activity wrote records is run again
// and may decide differently: the new attempt's batch voids the lost attempt's records
// (from its first sequence number on) and writes its own; nothing of the new attempt is
// lost, and running it again changes nothing.
func TestPersistVoidsLostAttempt(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	caseID := contract.WorkflowID(newAccount(t))
	at := time.Now().UTC()
	rec := func(seq int, attempt int64, kind string) activities.Record {
		r := activities.Record{Key: fmt.Sprintf("%s/%d.%d", caseID, seq, attempt), CaseID: caseID, Seq: seq, Attempt: attempt, At: at}
		switch kind {
		case "audit":
			r.Kind, r.Audit = activities.RecordAudit, &activities.AuditEntry{Kind: fmt.Sprintf("step-%d-%d", seq, attempt), Actor: "workflow", Accepted: true}
		case "task":
			r.Kind, r.Task = activities.RecordTaskOpen, &activities.Task{TaskID: fmt.Sprintf("%s/task-%d.%d", caseID, seq, attempt),
				Action: contract.ActionPhoneVerified, Role: contract.RolePhone, Assignees: []string{"phone-north-1"}, Deadline: at.Add(time.Hour)}
		case "alert":
			r.Kind, r.Alert = activities.RecordAlert, &activities.Alert{Kind: "test", Message: "lost attempt"}
		}
		return r
	}
	committed := activities.Batch{CaseID: caseID, Records: []activities.Record{rec(1, 5, "audit"), rec(2, 5, "audit")}}
	lost := activities.Batch{CaseID: caseID, Records: []activities.Record{rec(3, 9, "audit"), rec(4, 9, "task"), rec(5, 9, "alert")}}
	retried := activities.Batch{CaseID: caseID, Records: []activities.Record{rec(3, 12, "audit"), rec(4, 12, "audit")}}
	for _, b := range []activities.Batch{committed, lost, retried, retried} {
		if err := acts.Persist(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var trail []string
	rows, err := stack.db.Query(ctx, `SELECT kind FROM audit_trail WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	trail, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"step-1-5", "step-2-5", "step-3-12", "step-4-12"}; !slices.Equal(trail, want) {
		t.Errorf("audit trail = %v, want %v", trail, want)
	}
	var all, openTasks, alerts int
	if err := stack.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log WHERE case_id = $1),
		(SELECT count(*) FROM tasks WHERE case_id = $1 AND status = 'open'), (SELECT count(*) FROM alerts WHERE case_id = $1)`, caseID).Scan(&all, &openTasks, &alerts); err != nil {
		t.Fatal(err)
	}
	if all != 5 || openTasks != 0 || alerts != 0 {
		t.Errorf("audit rows %d (want 5, the lost one kept but voided), open tasks %d, alerts %d (want 0, 0)", all, openTasks, alerts)
	}
}

// The rows a case changes (its row, a task, an installment) keep the newest record's
// values, records ordered by their workflow task's time, then their sequence number: a
// write that arrives late (a try that timed out but reached PostgreSQL after the case moved
// on) changes nothing, and a retried workflow task's write (or a reset run's) replaces what
// its lost attempt wrote, whatever their sequence numbers.
func TestPersistKeepsTheNewestRows(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	account := newAccount(t)
	caseID := contract.WorkflowID(account)
	t0 := time.Now().UTC().Truncate(time.Second)
	caseRow := func(seq int, at time.Time, stage contract.Stage, paid int64) activities.Record {
		return activities.Record{Key: fmt.Sprintf("%s/%d.c", caseID, seq), CaseID: caseID, Seq: seq, At: at,
			Kind: activities.RecordCase, Case: &activities.CaseRow{AccountID: account, Stage: stage, AmountDue: 100, AmountPaid: paid, Region: "north"}}
	}
	write := func(seq int, at time.Time, stage contract.Stage, paid int64, agent string) {
		t.Helper()
		task := activities.Record{Key: fmt.Sprintf("%s/%d.t", caseID, seq+1), CaseID: caseID, Seq: seq + 1, At: at,
			Kind: activities.RecordTaskOpen, Task: &activities.Task{TaskID: caseID + "/task", Action: contract.ActionPaymentReceived,
				Role: contract.RolePhone, Assignees: []string{agent}, Deadline: at.Add(time.Hour)}}
		plan := activities.Record{Key: fmt.Sprintf("%s/%d.p", caseID, seq+2), CaseID: caseID, Seq: seq + 2, At: at,
			Kind: activities.RecordPlan, Plan: &contract.Plan{Number: 1, AgreedAt: t0, AgreedBy: "phone-north-1",
				Installments: []contract.Installment{{DueDate: "2026-12-01", Amount: 100, Paid: paid}}}}
		if err := acts.Persist(ctx, activities.Batch{CaseID: caseID, Records: []activities.Record{caseRow(seq, at, stage, paid), task, plan}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, stage contract.Stage, paid int64, agent string) {
		t.Helper()
		var gotStage, gotAgent string
		var gotPaid, gotInstallment int64
		if err := stack.db.QueryRow(ctx, `SELECT c.stage, c.amount_paid, i.paid, t.assignees[1] FROM cases c
			JOIN installments i ON i.case_id = c.case_id AND i.plan_no = 1 AND i.idx = 1 JOIN tasks t ON t.task_id = $1 || '/task'
			WHERE c.case_id = $1`, caseID).Scan(&gotStage, &gotPaid, &gotInstallment, &gotAgent); err != nil {
			t.Fatal(err)
		}
		if gotStage != string(stage) || gotPaid != paid || gotInstallment != paid || gotAgent != agent {
			t.Errorf("%s: case %s paid %d, installment paid %d, task with %s; want %s, %d, %d, %s",
				when, gotStage, gotPaid, gotInstallment, gotAgent, stage, paid, paid, agent)
		}
	}
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	write(10, sec(1), contract.StageRepayment, 40, "phone-north-1")
	write(20, sec(2), contract.StageRepayment, 70, "phone-north-2")
	check("newest written", contract.StageRepayment, 70, "phone-north-2")
	write(10, sec(1), contract.StageRepayment, 40, "phone-north-1") // the first write again, late
	write(25, sec(1), contract.StageNegotiate, 0, "phone-north-3")  // an older task's, late, with a higher seq
	check("after late writes", contract.StageRepayment, 70, "phone-north-2")
	write(30, sec(3), contract.StageRepayment, 100, "phone-north-2") // a lost attempt's
	write(22, sec(4), contract.StageRepayment, 90, "phone-north-1")  // its retry: a lower seq, a later task
	check("after a retried task", contract.StageRepayment, 90, "phone-north-1")
	write(22, sec(4), contract.StageRepayment, 90, "phone-north-1") // the retry's write retried: the same
	check("after the same write again", contract.StageRepayment, 90, "phone-north-1")
	// two case rows in one batch, from the same task: the later one stays
	if err := acts.Persist(ctx, activities.Batch{CaseID: caseID, Records: []activities.Record{
		caseRow(40, sec(5), contract.StageRepayment, 95), caseRow(41, sec(5), contract.StageSurvey, 100)}}); err != nil {
		t.Fatal(err)
	}
	var stage string
	if err := stack.db.QueryRow(ctx, `SELECT stage FROM cases WHERE case_id = $1`, caseID).Scan(&stage); err != nil || stage != string(contract.StageSurvey) {
		t.Errorf("after one task's two case rows: stage %q (%v), want survey", stage, err)
	}
}

// A reminder retried (or sent again by a replayed workflow) goes out once.
func TestReminderSentExactlyOnce(t *testing.T) {
	need(t)
	ctx := context.Background()
	n := &countingNotifier{keys: make(chan string, 10)}
	acts := &activities.Activities{DB: stack.db, Notifier: n}
	account := newAccount(t)
	req := activities.ReminderRequest{Key: contract.WorkflowID(account) + "/plan-1/installment-1/reminder-1", CaseID: contract.WorkflowID(account),
		AccountID: account, Channel: contract.ChannelSMS, Installment: 1, DueDate: "2026-12-24", Amount: 1000, Currency: "TWD", ScheduledAt: time.Now()}
	req.PhoneID = openRepayingCase(t, account)
	var sent, already, busy int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 5 { // at once: the first to claim the hand-off sends, the others are told to retry
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := acts.SendReminder(ctx, req)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && strings.Contains(err.Error(), "another attempt is handing this reminder over"):
				busy++
			case err != nil:
				t.Error(err)
			case res.Sent:
				sent++
			case res.AlreadySent:
				already++
			}
		}()
	}
	wg.Wait()
	if sent != 1 || already+busy != 4 || n.n.Load() != 1 {
		t.Fatalf("sent %d, already %d, busy %d, notifier calls %d; want 1, 4 in all, 1", sent, already, busy, n.n.Load())
	}
	if res, err := acts.SendReminder(ctx, req); err != nil || !res.AlreadySent || n.n.Load() != 1 {
		t.Fatalf("retried after the send: %+v %v (notifier calls %d), want already sent", res, err, n.n.Load())
	}
	var attempts int
	if err := stack.db.QueryRow(ctx, `SELECT attempts FROM outbox WHERE message_key = $1 AND sent_at IS NOT NULL`, req.Key).Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("outbox row: attempts %d, %v", attempts, err)
	}
}

// The audit log is append-only: the database refuses UPDATE, DELETE and TRUNCATE, even to
// its owner (the runtime role may not even try: TestRuntimeRoleCannotTamperWithTheAuditLog).
func TestAuditLogIsAppendOnly(t *testing.T) {
	need(t)
	ctx := context.Background()
	caseID := contract.WorkflowID(newAccount(t))
	if _, err := stack.db.Exec(ctx, `INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted) VALUES ($1, $2, now(), 'test', 'itest', true)`,
		caseID+"/1", caseID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET reason = 'edited' WHERE case_id = $1`,
		`DELETE FROM audit_log WHERE case_id = $1`,
	} {
		if _, err := stack.owner.Exec(ctx, q, caseID); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
	err := pgx.BeginFunc(ctx, stack.owner, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `TRUNCATE audit_log`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("TRUNCATE: %v, want refused", err)
	}
	var retain time.Time
	if err := stack.db.QueryRow(ctx, `SELECT retain_until FROM audit_log WHERE case_id = $1`, caseID).Scan(&retain); err != nil {
		t.Fatal(err)
	}
	if retain.Before(time.Now().AddDate(3, 0, -1)) {
		t.Errorf("retain_until %s, want at least three years", retain)
	}
}

// Migrations applied twice change nothing.
func TestMigrationsAreIdempotent(t *testing.T) {
	need(t)
	var before, after int
	ctx := context.Background()
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	applied, err := migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v", applied, err)
	}
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&after); err != nil || after != before {
		t.Fatalf("schema_migrations %d -> %d", before, after)
	}
}

// A case's first workflow task is lost twice in a row, each time right after its records
// were written (the worker dies after the write). The third attempt writes them again: the
// two lost attempts' audit rows are voided and their tasks void, and what the audit trail
// and the agents see is the third's, once. Before task-time keys the second and third
// attempts named themselves by the same history length: the third's rows were dropped as
// repeats of the second's, which stayed, and the two shared a task id.
func TestWorkflowTaskLostTwiceInARow(t *testing.T) {
	need(t)
	account := newAccount(t)
	id := contract.WorkflowID(account)
	loss := &taskLoss{}
	loss.left.Store(2)
	stack.lostWFT.cases.Store(id, loss)
	defer stack.lostWFT.cases.Delete(id)
	caseID := startCase(t, account)
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	if n := loss.left.Load(); n > 0 {
		t.Fatalf("%d losses left: the workflow tasks were not lost", n)
	}

	// the attempt that completed: the last task started before the first task completed
	ctx := context.Background()
	var started time.Time
	it := stack.tc.GetWorkflowHistory(ctx, caseID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			started = ev.GetEventTime().AsTime()
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			break
		}
	}

	type row struct {
		key     string
		attempt int64
		voided  bool
	}
	rows, err := stack.db.Query(ctx, `SELECT record_key, attempt, EXISTS (SELECT 1 FROM voided_records v WHERE v.record_key = a.record_key)
		FROM audit_log a WHERE case_id = $1 AND kind = 'screen' ORDER BY attempt`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	screens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.key, &x.attempt, &x.voided)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(screens) != 3 {
		t.Fatalf("%d screening audit rows %+v, want three: one from each attempt", len(screens), screens)
	}
	for i, s := range screens {
		if last := i == len(screens)-1; s.voided == last {
			t.Errorf("screening row %d of 3 %+v: voided %v, want the lost attempts' voided and the last kept", i+1, s, s.voided)
		}
	}
	if kept := screens[2]; kept.attempt < started.UnixNano() {
		t.Errorf("the kept screening row %+v was made before the attempt that completed began (%s): a lost attempt's", kept, started)
	}
	var trail int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM audit_trail WHERE case_id = $1 AND kind = 'screen'`, caseID).Scan(&trail); err != nil || trail != 1 {
		t.Errorf("the audit trail shows %d screenings (%v), want one", trail, err)
	}

	rows, err = stack.db.Query(ctx, `SELECT task_id, status FROM tasks WHERE case_id = $1 AND action = $2 ORDER BY attempt`, caseID, contract.ActionPhoneVerified)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ ID, Status string }])
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 3 || tasks[0].Status != "void" || tasks[1].Status != "void" || tasks[2].Status != "open" || tasks[2].ID != st.Pending.TaskID {
		t.Errorf("phone tasks %+v, want the lost attempts' two void and the case's %s open", tasks, st.Pending.TaskID)
	}
}

// A workflow task is lost after its write, and the lost attempt had changed the case row
// (here: it is made to, as a task deciding on a later clock could). The retry ends where
// the case stood, so it has no change of the row to write; the worker that took the case
// up writes the row anyway in its first write, and the newer row wins: PostgreSQL shows
// the case as its workflow has it. Before, the lost attempt's row stayed until the case
// next changed.
func TestLostTaskCaseRowPutRight(t *testing.T) {
	need(t)
	account := newAccount(t)
	id := contract.WorkflowID(account)
	loss := &taskLoss{before: func(now time.Time) {
		// the lost attempt's row: another pending action, stamped at its time
		tag, err := stack.owner.Exec(context.Background(), `UPDATE cases SET pending_action = 'survey-result', rev_at = $2, rev_seq = rev_seq + 1
			WHERE case_id = $1`, id, now)
		if err != nil || tag.RowsAffected() != 1 {
			t.Errorf("write the lost attempt's case row: %d rows, %v", tag.RowsAffected(), err)
		}
	}}
	loss.skip.Store(1) // the start's write goes through; the next (the phone task's missed deadline) is lost
	loss.left.Store(1)
	stack.lostWFT.cases.Store(id, loss)
	defer stack.lostWFT.cases.Delete(id)
	caseID := startCase(t, account)
	waitPending(t, caseID, contract.ActionPhoneVerified)
	deadline := time.Now().Add(time.Minute)
	for loss.left.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("waited a minute: no write after the start was lost")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// the retry's write: it voids the lost attempt's rows, in the transaction that writes
	// its own (and the case row); the case's next change is seconds away
	for {
		var voided int
		if err := stack.db.QueryRow(context.Background(), `SELECT count(*) FROM voided_records WHERE case_id = $1`, caseID).Scan(&voided); err != nil {
			t.Fatal(err)
		}
		if voided > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("waited a minute: the retry did not void the lost attempt's rows")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var pending string
	if err := stack.db.QueryRow(context.Background(), `SELECT coalesce(pending_action, '') FROM cases WHERE case_id = $1`, caseID).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if st := status(t, caseID); st.Pending == nil || pending != st.Pending.Action {
		t.Fatalf("after the retry's write the case row says pending %q, the case %+v: the lost attempt's row stayed", pending, st.Pending)
	}
}
