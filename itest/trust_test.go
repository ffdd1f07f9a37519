//go:build integration

package itest

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
	"github.com/casework/casework/platform"
)

// The trust boundary on the real database (DESIGN.md "Who may do what"): each attack is
// tried as a careless or hostile caller would, and refused.

// phoneOf returns the account's phone id on file.
func phoneOf(t *testing.T, account string) string {
	t.Helper()
	var id string
	if err := stack.db.QueryRow(context.Background(), `SELECT phone_id FROM phones WHERE account_id = $1 LIMIT 1`, account).Scan(&id); err != nil {
		t.Fatalf("phone of %s: %v", account, err)
	}
	return id
}

func addressOf(t *testing.T, account string) string {
	t.Helper()
	var id string
	if err := stack.db.QueryRow(context.Background(), `SELECT address_id FROM addresses WHERE account_id = $1 LIMIT 1`, account).Scan(&id); err != nil {
		t.Fatalf("address of %s: %v", account, err)
	}
	return id
}

// openRepayingCase records a case of the account in repayment, owing, as the workflow
// would, and returns the account's phone id.
func openRepayingCase(t *testing.T, account string) string {
	t.Helper()
	if _, err := stack.db.Exec(context.Background(), `INSERT INTO cases (case_id, account_id, stage, amount_due, amount_paid)
		VALUES ($1, $2, 'repayment', 500000, 0) ON CONFLICT (case_id) DO UPDATE SET stage = 'repayment', hold = false, paused = false`,
		contract.WorkflowID(account), account); err != nil {
		t.Fatal(err)
	}
	return phoneOf(t, account)
}

// An address or phone of another debtor, an unknown or inactive agent, or an agent of the
// wrong role is refused with the field named; the case's own ids pass.
func TestCheckRefsRefusesStrangersIDs(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	mine, theirs := newAccount(t), newAccount(t)
	if _, err := stack.db.Exec(ctx, `INSERT INTO agents (agent_id, name, role, region, badge_no, active) VALUES
		($1, 'Synthetic Retired', 'field', 'north', 'B-0', false) ON CONFLICT (agent_id) DO NOTHING`, stack.run+"-retired"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		check activities.RefCheck
		want  []string // fields refused
	}{
		{"the case's own", activities.RefCheck{Addresses: []activities.ContactRef{{Field: "addressId", ID: addressOf(t, mine)}},
			Phones: []activities.ContactRef{{Field: "phoneId", ID: phoneOf(t, mine)}},
			Agents: []activities.AgentRef{{Field: "agentIds", ID: "field-north-1", Roles: []string{contract.RoleField}}}}, nil},
		{"another debtor's address", activities.RefCheck{Addresses: []activities.ContactRef{{Field: "addressId", ID: addressOf(t, theirs)}}}, []string{"addressId"}},
		{"another debtor's phone", activities.RefCheck{Phones: []activities.ContactRef{{Field: "phoneId", ID: phoneOf(t, theirs)}}}, []string{"phoneId"}},
		{"an unknown address", activities.RefCheck{Addresses: []activities.ContactRef{{Field: "addressId", ID: "adr-999999999"}}}, []string{"addressId"}},
		{"a phone agent at a visit", activities.RefCheck{Agents: []activities.AgentRef{{Field: "agentIds", ID: "phone-north-1", Roles: []string{contract.RoleField}}}}, []string{"agentIds"}},
		{"an inactive agent", activities.RefCheck{Agents: []activities.AgentRef{{Field: "agentIds", ID: stack.run + "-retired", Roles: []string{contract.RoleField}}}}, []string{"agentIds"}},
		{"an agent who does not exist", activities.RefCheck{Agents: []activities.AgentRef{{Field: "by", ID: "mallory", Roles: []string{contract.RoleSupervisor}}}}, []string{"by"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check.AccountID, tc.check.CaseID = mine, contract.WorkflowID(mine)
			problems, err := acts.CheckRefs(ctx, tc.check)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("refused fields %v (%v), want %v", got, problems, tc.want)
			}
		})
	}
}

// permanentNotifier refuses every message for good.
type permanentNotifier struct{ calls int }

func (p *permanentNotifier) Send(context.Context, notify.Message) error {
	p.calls++
	return &notify.PermanentError{Reason: "number opted out"}
}

// A reminder is checked again at the hand-off: not to a phone of another account, not
// during a hold, not after its window closed; a permanent refusal of the channel is
// recorded and never retried.
func TestReminderCheckedAtHandOver(t *testing.T) {
	need(t)
	ctx := context.Background()
	account, stranger := newAccount(t), newAccount(t)
	phone := openRepayingCase(t, account)
	n := &countingNotifier{keys: make(chan string, 10)}
	acts := &activities.Activities{DB: stack.db, Notifier: n}
	base := activities.ReminderRequest{CaseID: contract.WorkflowID(account), AccountID: account, PhoneID: phone, Channel: contract.ChannelSMS,
		Installment: 1, DueDate: "2026-12-24", Amount: 1000, Currency: "TWD", ScheduledAt: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	for i, tc := range []struct {
		name  string
		edit  func(*activities.ReminderRequest)
		setup string
		want  string
	}{
		{"a stranger's phone", func(r *activities.ReminderRequest) { r.PhoneID = phoneOf(t, stranger) }, "", "no phone"},
		{"its window closed while the gateway was down", func(r *activities.ReminderRequest) { r.NotAfter = time.Now().Add(-time.Minute) }, "", "too late"},
		{"a dispute hold", nil, `UPDATE cases SET hold = true WHERE case_id = $1`, "dispute hold"},
		{"a closed case", nil, `UPDATE cases SET hold = false, stage = 'closed' WHERE case_id = $1`, "no longer repaying"},
	} {
		req := base
		req.Key = base.CaseID + "/plan-1/installment-1/reminder-" + string(rune('a'+i))
		if tc.edit != nil {
			tc.edit(&req)
		}
		if tc.setup != "" {
			if _, err := stack.db.Exec(ctx, tc.setup, base.CaseID); err != nil {
				t.Fatal(err)
			}
		}
		res, err := acts.SendReminder(ctx, req)
		if err != nil || !res.Skipped || !strings.Contains(res.Reason, tc.want) {
			t.Errorf("%s: %+v %v, want skipped: %s", tc.name, res, err, tc.want)
		}
		var reason string
		if err := stack.db.QueryRow(ctx, `SELECT skip_reason FROM outbox WHERE message_key = $1 AND skipped_at IS NOT NULL AND handed_at IS NULL`, req.Key).Scan(&reason); err != nil {
			t.Errorf("%s: outbox row not marked skipped: %v", tc.name, err)
		}
	}
	if n.n.Load() != 0 {
		t.Errorf("the notifier was called %d times, want never", n.n.Load())
	}

	// handed over before a crash (the lease has run out), then the case went on hold: the
	// debtor may have it already, so it is not recorded as skipped: it goes again, same key
	crashed := base
	crashed.Key = base.CaseID + "/plan-1/installment-1/reminder-crashed"
	if _, err := stack.db.Exec(ctx, `INSERT INTO outbox (message_key, case_id, account_id, phone_id, channel, installment, due_date, amount, currency, scheduled_at, handed_at, attempts)
		VALUES ($1, $2, $3, $4, 'sms', 1, '2026-12-24', 1000, 'TWD', now(), now() - interval '2 minutes', 1)`, crashed.Key, crashed.CaseID, account, phone); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.db.Exec(ctx, `UPDATE cases SET hold = true, stage = 'repayment' WHERE case_id = $1`, base.CaseID); err != nil {
		t.Fatal(err)
	}
	if res, err := acts.SendReminder(ctx, crashed); err != nil || !res.Sent || n.n.Load() != 1 {
		t.Errorf("a reminder handed over before the hold: %+v %v (notifier calls %d), want handed over again with its key, not skipped", res, err, n.n.Load())
	}

	openRepayingCase(t, account)
	perm := &permanentNotifier{}
	acts.Notifier = perm
	req := base
	req.Key = base.CaseID + "/plan-1/installment-1/reminder-permanent"
	for range 2 {
		_, err := acts.SendReminder(ctx, req)
		app, ok := err.(*temporal.ApplicationError) // itself, not wrapped: the server reads retryability there
		if !ok || !app.NonRetryable() || app.Type() != activities.ErrTypePermanentSend {
			t.Fatalf("permanent refusal: %#v, want a non-retryable %s as the error itself", err, activities.ErrTypePermanentSend)
		}
	}
	if perm.calls != 1 {
		t.Errorf("the channel was asked %d times after refusing for good, want once", perm.calls)
	}
}

// A record PostgreSQL refuses for its data (a NUL in a note) would fail every retry: it
// is set aside with an alert, and the rest of its batch is written.
func TestPersistSetsAsideWhatTheDatabaseRefuses(t *testing.T) {
	need(t)
	ctx := context.Background()
	acts := &activities.Activities{DB: stack.db}
	caseID := contract.WorkflowID(newAccount(t))
	at := time.Now().UTC()
	batch := activities.Batch{CaseID: caseID, Records: []activities.Record{
		{Key: caseID + "/1.1", Kind: activities.RecordAudit, CaseID: caseID, Seq: 1, Attempt: 1, At: at, Audit: &activities.AuditEntry{Kind: "screen", Actor: "workflow", Accepted: true}},
		{Key: caseID + "/2.1", Kind: activities.RecordVisit, CaseID: caseID, Seq: 2, Attempt: 1, At: at, Visit: &contract.VisitReport{
			AgentIDs: []string{"field-north-1", "field-north-2"}, BadgesShown: true, AddressID: "adr-1", VisitedAt: at.Format(time.RFC3339),
			Willingness: contract.WillingnessLow, Note: "bad\u0000byte"}},
		{Key: caseID + "/3.1", Kind: activities.RecordAudit, CaseID: caseID, Seq: 3, Attempt: 1, At: at, Audit: &activities.AuditEntry{Kind: "after", Actor: "workflow", Accepted: true}},
	}}
	for range 2 { // retried: still no error, nothing twice
		if err := acts.Persist(ctx, batch); err != nil {
			t.Fatalf("persist: %v", err)
		}
	}
	var audit, asideRows, alerts int
	var sqlstate string
	if err := stack.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log WHERE case_id = $1),
		(SELECT count(*) FROM records_set_aside WHERE case_id = $1), (SELECT min(sqlstate) FROM records_set_aside WHERE case_id = $1),
		(SELECT count(*) FROM alerts WHERE case_id = $1 AND kind = 'record-set-aside')`, caseID).Scan(&audit, &asideRows, &sqlstate, &alerts); err != nil {
		t.Fatal(err)
	}
	if audit != 2 || asideRows != 1 || alerts != 1 || !strings.HasPrefix(sqlstate, "22") {
		t.Errorf("audit rows %d (want 2), set aside %d (want 1, SQLSTATE 22..., got %q), alerts %d (want 1)", audit, asideRows, sqlstate, alerts)
	}
}

// A case is no cron workflow: a cron run's input is the client's, yet Temporal would mark
// the next runs as continuations (where a carried state is honoured). Refused at once.
func TestCronStartIsRefused(t *testing.T) {
	need(t)
	ctx := context.Background()
	account := newAccount(t)
	run, err := stack.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.WorkflowID(account), TaskQueue: contract.TaskQueue, CronSchedule: "* * * * *"},
		contract.WorkflowType, contract.CaseInput{AccountID: account, State: &contract.Status{CaseID: contract.WorkflowID(account), AccountID: account,
			Stage: contract.StageRepayment, Supervisors: []string{"mallory"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stack.tc.TerminateWorkflow(ctx, run.GetID(), "", "test over") }()
	// the first run starts at the next minute; its close event says why it ended
	deadline := time.Now().Add(90 * time.Second)
	for {
		it := stack.tc.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
		if it.HasNext() {
			ev, err := it.Next()
			// a failed cron run closes as continued-as-new to the next, with its failure (a
			// field the API marks deprecated, yet the only place a cron run's failure is)
			//lint:ignore SA1019 the cron run's failure is read from there
			if failure := ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetFailure(); err == nil && failure != nil {
				dc, err := platform.DataConverter(zap.NewNop())
				if err != nil {
					t.Fatal(err)
				}
				if msg := platform.FailureConverter(dc).FailureToError(failure).Error(); !strings.Contains(msg, "not a cron workflow") {
					t.Fatalf("the cron run failed with %q, want refused as no cron workflow", msg)
				}
				return
			}
			if err == nil {
				t.Fatalf("the cron run ended with %v, want refused", ev.GetEventType())
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the cron run did not end within 90 s")
		}
		time.Sleep(time.Second)
	}
}
