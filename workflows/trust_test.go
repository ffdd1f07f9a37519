package workflows

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// The trust boundary in the workflow (DESIGN.md "Who may do what"): what a client sends is
// refused unless the case's rules and PostgreSQL vouch for it, and nothing a person
// reports is lost.

// A start takes accountId and policy only: an account other than the workflow ID's, or a
// state (stage, assignees, supervisors) on a run that continues nothing, is refused.
func TestStartIsRefusedUnlessItsAccountIsItsID(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		cron string
		in   contract.CaseInput
		want string
	}{
		{"another account", "case-A1", "", contract.CaseInput{AccountID: "A2"}, `accountId "A2" is not the account of workflow case-A1`},
		{"not a case id", "A1", "", contract.CaseInput{AccountID: "A1"}, "not a case id"},
		{"state on a fresh start", "case-A1", "", contract.CaseInput{AccountID: "A1", State: &contract.Status{
			CaseID: "case-A1", AccountID: "A1", Stage: contract.StageRepayment, Supervisors: []string{"mallory"},
		}}, "state is carried only by a continued run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: tc.id, CronSchedule: tc.cron})
			h.env.ExecuteWorkflow(CaseWorkflow, tc.in)
			err := h.env.GetWorkflowError()
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != ErrTypeInvalidStart || !strings.Contains(app.Error(), tc.want) {
				t.Fatalf("start %s with %+v: %v, want refused with %q", tc.id, tc.in, err, tc.want)
			}
			if len(h.recordsOf(activities.RecordCase)) != 0 {
				t.Error("a refused start wrote records")
			}
		})
	}
}

// Every id an action names is checked against PostgreSQL: an address of another debtor is
// refused with the field named, the refusal is in the audit log as a contact (the call
// happened), and the step stays open; the check went out with the case's account.
func TestIDsAreCheckedAgainstTheDatabase(t *testing.T) {
	h := newHarness(t)
	h.refs = func(req activities.RefCheck) []*contract.FieldError {
		var out []*contract.FieldError
		for _, r := range req.Addresses {
			if r.ID == "adr-of-a-stranger" {
				out = append(out, contract.Invalid(r.Field, "%s is not an address recorded for this case's account", r.ID))
			}
		}
		return out
	}
	h.at(time.Minute, func() {
		p := h.confirmed()
		p.Outcome, p.AddressID = contract.PhoneAddressChanged, "adr-of-a-stranger"
		h.reject(contract.ActionPhoneVerified, p, "addressId", "not an address recorded for this case's account")
	})
	h.expectStage(2*time.Minute, contract.StagePhoneVerify)
	h.closeAt(3 * time.Minute)
	h.run(contract.CaseInput{})
	s := h.result()
	if s.VerifiedAddressID != "" {
		t.Errorf("verified address %q: the stranger's address was taken", s.VerifiedAddressID)
	}
	var checked bool
	for _, r := range h.refChecks {
		checked = checked || (r.AccountID == "A1" && len(r.Addresses) == 1 && r.Agents[0].ID == "phone-1")
	}
	if !checked {
		t.Errorf("reference checks %+v: none for account A1 with the address and the agent", h.refChecks)
	}
	rows := h.audit(contract.ActionPhoneVerified)
	if len(rows) != 1 || rows[0].Accepted || !rows[0].Contact || !strings.Contains(rows[0].Reason, "addressId") {
		t.Errorf("audit rows %+v, want the refused call recorded as a contact", rows)
	}
}

// A reported call or visit must be dated on or after its task opened: a backdated call
// cannot dodge the call cap.
func TestReportedContactsCannotBeBackdated(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, func() {
		p := h.confirmed()
		p.CalledAt = h.now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
		h.reject(contract.ActionPhoneVerified, p, "calledAt", "before its task opened")
		h.accept(contract.ActionPhoneVerified, h.confirmed())
	})
	h.at(2*time.Hour, func() {
		p := h.visitReport()
		p.VisitedAt = h.now().Add(-3 * time.Hour).UTC().Format(time.RFC3339)
		h.reject(contract.ActionVisitReport, p, "visitedAt", "before its task opened")
	})
	h.closeAt(3 * time.Hour)
	h.run(contract.CaseInput{})
	if s := h.result(); len(s.Calls) != 1 {
		t.Errorf("calls %v, want only the one dated in its task", s.Calls)
	}
}

// A contact reported during a dispute hold (or a pause) does not complete its step, but
// it is recorded: in the audit log as a contact and a violation, and shown to supervisors.
func TestContactDuringHoldIsRecordedAsViolation(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() {
		h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: "phone-1"})
	})
	h.at(2*time.Minute, func() {
		h.reject(contract.ActionPhoneVerified, h.confirmed(), "dispute hold", "recorded as a guardrail violation")
	})
	h.at(3*time.Minute, func() {
		p := h.confirmed() // the same by signal, reaching a third party
		p.Outcome, p.Note = contract.PhoneWrongParty, "THIRD-PARTY-DETAIL"
		h.signal(contract.ActionPhoneVerified, p)
	})
	h.closeAt(4 * time.Minute)
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Violations != 2 || s.Contacts != 2 || len(s.Calls) != 2 || s.VerifiedAddressID != "" {
		t.Errorf("violations %d contacts %d calls %d verified %q: want 2 violations, 2 contacts and calls (the cap counts them), nothing verified",
			s.Violations, s.Contacts, len(s.Calls), s.VerifiedAddressID)
	}
	for _, e := range h.audit("") {
		if strings.Contains(string(e.Detail), "THIRD-PARTY-DETAIL") {
			t.Errorf("the audit log keeps a wrong party's note: %s", e.Detail)
		}
	}
	var flagged int
	for _, e := range h.audit(contract.ActionPhoneVerified) {
		if !e.Accepted && e.Contact && strings.Contains(e.Violation, "dispute hold") {
			flagged++
		}
	}
	if n := len(h.audit(contract.ActionPhoneVerified)); n != 2 {
		t.Errorf("%d audit rows of the calls, want 2 (each recorded once)", n)
	}
	if flagged != 2 {
		t.Errorf("audit: %d calls during the hold flagged, want 2 (update and signal): %+v", flagged, h.audit(contract.ActionPhoneVerified))
	}
	var alerts int
	for _, r := range h.recordsOf(activities.RecordAlert) {
		if r.Alert.Kind == "guardrail-violation" {
			alerts++
		}
	}
	if alerts != 2 {
		t.Errorf("%d violation alerts, want 2", alerts)
	}
}

// A reminder the activity skips at the hand-off (the window closed while the gateway was
// down) and one the channel refuses for good are recorded with the reason; the plan goes
// on and the case completes.
func TestRemindersSkippedOrRefusedAtHandOverAreRecorded(t *testing.T) {
	h := newHarness(t)
	calls := 0
	h.send = func(req activities.ReminderRequest) (activities.ReminderResult, error) {
		calls++
		if req.NotAfter.IsZero() || req.CaseKey != "case-A1" {
			t.Errorf("reminder %s without its deadline or case key: %+v", req.Key, req)
		}
		switch calls {
		case 1:
			return activities.ReminderResult{}, nil // the plan confirmation: sent
		case 2:
			return activities.ReminderResult{Skipped: true, Reason: "too late: its contact window closed"}, nil
		default:
			return activities.ReminderResult{}, temporal.NewNonRetryableApplicationError("number opted out", activities.ErrTypePermanentSend, nil)
		}
	}
	at := h.driveTo(contract.StageRepayment)
	h.at(at+9*contract.Day+12*time.Hour, func() { h.accept(contract.ActionPaymentReceived, h.payment("all", 500000)) })
	h.at(at+20*contract.Day, func() {
		h.accept(contract.ActionSurveyResult, contract.SurveyResult{AgentID: "phone-1", Reached: false})
	})
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Outcome != contract.OutcomePlanCompleted {
		t.Fatalf("outcome %s, want plan-completed", s.Outcome)
	}
	var skipped, refused bool
	for _, e := range h.audit("") {
		skipped = skipped || (!e.Accepted && strings.Contains(e.Reason, "skipped at the hand-off: too late"))
		refused = refused || (!e.Accepted && strings.Contains(e.Reason, "refused it for good: number opted out"))
	}
	if !skipped || !refused {
		t.Errorf("audit: skipped %t refused %t, want both recorded", skipped, refused)
	}
}

// A case's policy overrides may only tighten the deployment's: one that widens a guardrail
// is refused by the workflow too (whoever started the case), recorded with the field named,
// and the case runs on the deployment's policy; one that tightens is taken.
func TestPolicyOverridesOnlyTighten(t *testing.T) {
	for _, tc := range []struct {
		name, overrides string
		refused         string // the field named, "" when taken
		check           func(contract.Policy) bool
	}{
		{"a wider window", `{"contactStartHour": 6}`, "contactStartHour", func(p contract.Policy) bool { return p.ContactStartHour == 8 }},
		{"more calls", `{"maxCalls": 20}`, "maxCalls", func(p contract.Policy) bool { return p.MaxCalls == 7 }},
		{"no cooldown", `{"conversationCooldown": "0s"}`, "conversationCooldown", func(p contract.Policy) bool { return p.ConversationCooldown == contract.Duration(7*contract.Day) }},
		{"a one-second day", `{"dayLength": "1s"}`, "dayLength", func(p contract.Policy) bool { return p.DayLength == contract.Duration(contract.Day) }},
		{"declaring a simulation", `{"simulation": true, "dayLength": "1s"}`, "simulation", func(p contract.Policy) bool { return !p.Simulation }},
		{"a narrower window", `{"contactStartHour": 9, "contactEndHour": 20}`, "", func(p contract.Policy) bool { return p.ContactStartHour == 9 && p.ContactEndHour == 20 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.closeAt(time.Minute)
			h.run(contract.CaseInput{Policy: []byte(tc.overrides)})
			s := h.result()
			if !tc.check(s.Policy) {
				t.Errorf("the case runs on %+v", s.Policy)
			}
			var refusals []string
			for _, e := range h.audit("policy") {
				refusals = append(refusals, e.Reason)
			}
			switch {
			case tc.refused == "" && len(refusals) > 0:
				t.Errorf("tightening refused: %v", refusals)
			case tc.refused != "" && (len(refusals) != 1 || !strings.Contains(refusals[0], tc.refused)):
				t.Errorf("refusals %v, want one naming %s", refusals, tc.refused)
			}
		})
	}
}

// A reminder whose hand-off is retried (the gateway is down) is checked again at each try
// against what PostgreSQL holds: a dispute raised meanwhile is written there while the
// hand-off waits, so the next try skips the reminder instead of sending it during the hold.
func TestReminderWaitingForTheGatewaySeesADisputeRaisedMeanwhile(t *testing.T) {
	h := newHarness(t)
	tries := 0
	h.send = func(req activities.ReminderRequest) (activities.ReminderResult, error) {
		if req.Kind == "confirmation" {
			return activities.ReminderResult{Sent: true}, nil
		}
		tries++
		if h.onHold() { // send is called with the lock held
			return activities.ReminderResult{Skipped: true, Reason: "the case is on dispute hold: no collection contact"}, nil
		}
		return activities.ReminderResult{}, errors.New("gateway down")
	}
	at := h.driveTo(contract.StageRepayment)
	// the first reminder goes at 10:00 three days before its due date, day 10: 7 days after
	// the start (10:00); the dispute comes a minute after, while its hand-off is retried
	h.at(7*contract.Day+time.Minute, func() {
		h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: "phone-1"})
	})
	h.closeAt(at + 8*contract.Day)
	h.run(contract.CaseInput{})
	h.result()
	var skipped bool
	for _, e := range h.audit("reminder-sms") {
		skipped = skipped || (!e.Accepted && strings.Contains(e.Reason, "skipped at the hand-off: the case is on dispute hold"))
	}
	if !skipped || tries < 2 {
		t.Errorf("hand-off tries %d, skipped for the hold %t: want the dispute written while the hand-off waited, and the reminder skipped", tries, skipped)
	}
}

// An update is answered before its records while the case waits (a visit report), but not
// one that restricts contact (a payment, a dispute hold: the reminders' hand-off reads
// those from PostgreSQL), nor any update while a hand-off is under way (a reassignment):
// their records are written in the answering task.
func TestWhichWritesFollowTheAnswer(t *testing.T) {
	h := newHarness(t)
	handingOver := false
	h.send = func(req activities.ReminderRequest) (activities.ReminderResult, error) {
		if req.Kind == "confirmation" {
			return activities.ReminderResult{Sent: true}, nil
		}
		if h.onHold() { // send is called with the lock held
			handingOver = false
			return activities.ReminderResult{Skipped: true, Reason: "the case is on dispute hold: no collection contact"}, nil
		}
		handingOver = true
		return activities.ReminderResult{}, errors.New("gateway down") // retried: the hand-off stays under way
	}
	underWay := func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return handingOver
	}
	at := h.driveTo(contract.StageRepayment)
	h.at(at+time.Hour, func() { h.accept(contract.ActionPaymentReceived, h.payment("p1", 1000)) })
	// the first reminder's hand-off begins 7 days after the start; a reassignment, then the
	// dispute, come while it is retried
	h.at(7*contract.Day+time.Minute, func() {
		if !underWay() {
			t.Error("no hand-off under way when the reassignment came")
		}
		h.accept(contract.ActionReassign, contract.Reassign{By: "sup-1", Role: contract.RolePhone, AgentIDs: []string{"phone-2"}})
	})
	h.at(7*contract.Day+2*time.Minute, func() {
		h.accept(contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: "phone-2"})
	})
	// the hand-off's next try skips the reminder for the hold; a supervisor resumes after it
	h.at(7*contract.Day+30*time.Minute, func() {
		if underWay() {
			t.Error("the hand-off still under way when the supervisor resumed")
		}
		h.accept(contract.ActionResume, contract.SupervisorAction{By: "sup-1", Reason: "dispute settled"})
	})
	h.closeAt(7*contract.Day + time.Hour)
	h.run(contract.CaseInput{})
	h.result()
	for what, want := range map[string]struct {
		match func(activities.Record) bool
		local bool
	}{
		"visit report": {func(r activities.Record) bool { return r.Kind == activities.RecordVisit }, false},
		"payment":      {func(r activities.Record) bool { return r.Kind == activities.RecordPayment }, true},
		"reassignment": {func(r activities.Record) bool {
			return r.Kind == activities.RecordAudit && r.Audit.Kind == contract.ActionReassign
		}, true},
		"hold": {func(r activities.Record) bool { return r.Kind == activities.RecordCase && r.Case.Hold }, true},
		"resumption": {func(r activities.Record) bool {
			return r.Kind == activities.RecordAudit && r.Audit.Kind == contract.ActionResume
		}, false},
	} {
		i := slices.IndexFunc(h.batches, func(b batch) bool { return slices.ContainsFunc(b.records, want.match) })
		if i < 0 || h.batches[i].local != want.local {
			t.Errorf("the %s's records: found %t, in the answering task %t; want in the answering task %t", what, i >= 0, i >= 0 && h.batches[i].local, want.local)
		}
	}
}

// The write after an answer tries three times; while PostgreSQL is away the case writes
// its records itself, as every local write (waiting on a timer between rounds, search
// attributes published): each record is written once and the case goes on.
func TestRecordsWrittenInTheCaseWhenTheWriteAfterTheAnswerFails(t *testing.T) {
	h := newHarness(t)
	h.failRemote = true
	h.driveTo(contract.StageSurvey)
	h.closeAt(time.Hour)
	h.run(contract.CaseInput{})
	h.result()
	if h.remoteTries == 0 || h.remoteTries%3 != 0 {
		t.Errorf("%d tries of the write after an answer, want three for each", h.remoteTries)
	}
	written := map[string]int{}
	for _, b := range h.batches {
		for _, r := range b.records {
			written[r.Key]++
		}
	}
	for key, n := range written {
		if n != 1 {
			t.Errorf("record %s written %d times", key, n)
		}
	}
	if i := slices.IndexFunc(h.batches, func(b batch) bool {
		return slices.ContainsFunc(b.records, func(r activities.Record) bool { return r.Kind == activities.RecordVisit })
	}); i < 0 || !h.batches[i].local {
		t.Errorf("the visit record: written %t, want written by the case itself once the write after the answer failed", i >= 0)
	}
}
