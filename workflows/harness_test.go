package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// harness runs CaseWorkflow in the SDK's test environment (time skipping) with the
// activities mocked: PostgreSQL is replaced by a record of what would be written.
type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	screen activities.ScreenResult
	agents map[string][]string // role -> agents of the region, in assignment order

	mu         sync.Mutex
	records    []activities.Record
	batches    []batch // each write, in order
	reminders  []activities.ReminderRequest
	assigns    []activities.AssignRequest
	refChecks  []activities.RefCheck
	unanswered int
	// refs answers the reference checks: nil vouches for every id.
	refs func(activities.RefCheck) []*contract.FieldError
	// send answers SendReminder after it is recorded: nil sends.
	send func(activities.ReminderRequest) (activities.ReminderResult, error)
	// failRemote fails every write made after an answer (the regular activity), counted in
	// remoteTries.
	failRemote  bool
	remoteTries int
}

// batch is one write of records: in the answering task (a local activity) or after it.
type batch struct {
	local   bool
	records []activities.Record
}

// start is 10:00 in Taipei: inside the contact window.
var start = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel}))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(start)
	h.env.SetTestTimeout(30 * time.Second)
	p := contract.DefaultPolicy()
	h.screen = activities.ScreenResult{
		Found: true, Selected: true, Reason: "selected", Region: "north", Timezone: "Asia/Taipei", Currency: "TWD",
		AmountDue: 500000, DaysPastDue: 60, AddressID: "adr-1", PhoneID: "ph-1", Supervisors: []string{"sup-1"}, Policy: p,
	}
	h.agents = map[string][]string{
		contract.RolePhone: {"phone-1", "phone-2", "phone-3"},
		contract.RoleField: {"field-1", "field-2", "field-3", "field-4", "field-5", "field-6"},
	}
	h.env.RegisterWorkflow(CaseWorkflow)
	h.env.RegisterActivity(a)
	h.env.OnActivity(a.Screen, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.ScreenRequest) (activities.ScreenResult, error) {
			res := h.screen
			if pol, err := res.Policy.Tighten(req.Overrides); err != nil {
				res.PolicyError = err.Error()
			} else {
				res.Policy = pol
			}
			return res, nil
		})
	h.env.OnActivity(a.AssignAgents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.AssignRequest) ([]string, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.assigns = append(h.assigns, req)
			var out []string
			for _, id := range h.agents[req.Role] {
				if len(out) < req.Count && !slices.Contains(req.Exclude, id) {
					out = append(out, id)
				}
			}
			return out, nil
		})
	h.env.OnActivity(a.CheckRefs, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.RefCheck) ([]*contract.FieldError, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.refChecks = append(h.refChecks, req)
			if h.refs == nil {
				return nil, nil
			}
			return h.refs(req), nil
		})
	h.env.OnActivity(a.Persist, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, b activities.Batch) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			local := activity.GetInfo(ctx).IsLocalActivity
			if h.failRemote && !local {
				h.remoteTries++
				return errors.New("connection refused")
			}
			h.records = append(h.records, b.Records...)
			h.batches = append(h.batches, batch{local: activity.GetInfo(ctx).IsLocalActivity, records: b.Records})
			return nil
		})
	h.env.OnActivity(a.SendReminder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.ReminderRequest) (activities.ReminderResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.reminders = append(h.reminders, req)
			if h.send != nil {
				return h.send(req)
			}
			return activities.ReminderResult{Sent: true, SentAt: h.env.Now()}, nil
		})
	return h
}

// onHold reads the case row as the hand-off would: the last one written. The caller holds
// h.mu.
func (h *harness) onHold() bool {
	hold := false
	for _, r := range h.records {
		if r.Kind == activities.RecordCase {
			hold = r.Case.Hold
		}
	}
	return hold
}

// run starts the case and runs it to its end (or the test timeout).
func (h *harness) run(in contract.CaseInput) {
	h.t.Helper()
	if in.AccountID == "" {
		in.AccountID = "A1"
	}
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.WorkflowID(in.AccountID)})
	if in.State != nil {
		h.env.SetContinuedExecutionRunID("previous-run")
	}
	h.env.ExecuteWorkflow(CaseWorkflow, in)
	if h.unanswered != 0 {
		h.t.Errorf("%d updates were never answered", h.unanswered)
	}
}

// at runs f when d of workflow time has passed since the start.
func (h *harness) at(d time.Duration, f func()) { h.env.RegisterDelayedCallback(f, d) }

// update sends a human action as an update. The test environment answers it
// asynchronously: check runs with its rejection (nil when accepted), and the harness
// fails the test if an update was never answered.
func (h *harness) update(name string, payload any, check func(rejected error)) {
	h.t.Helper()
	h.mu.Lock()
	h.unanswered++
	h.mu.Unlock()
	answered := func(err error) {
		h.mu.Lock()
		h.unanswered--
		h.mu.Unlock()
		check(err)
	}
	h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   answered,
		OnComplete: func(_ any, err error) { answered(err) }, // refused by the handler: recorded in history
	}, payload)
}

// accept sends an update that must be accepted.
func (h *harness) accept(name string, payload any) {
	h.t.Helper()
	h.update(name, payload, func(err error) {
		if err != nil {
			h.t.Errorf("update %s rejected: %v", name, err)
		}
	})
}

// reject sends an update that must be rejected with every fragment in its message.
func (h *harness) reject(name string, payload any, fragments ...string) {
	h.t.Helper()
	h.update(name, payload, func(err error) {
		if err == nil {
			h.t.Errorf("update %s %s: accepted, want rejected with %q", name, jsonOf(payload), fragments)
			return
		}
		for _, f := range fragments {
			if !strings.Contains(err.Error(), f) {
				h.t.Errorf("update %s rejected with %q, want it to name %q", name, err, f)
			}
		}
	})
}

func (h *harness) status() *contract.Status {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(contract.StatusQuery)
	if err != nil {
		h.t.Fatalf("status query: %v", err)
	}
	var s contract.Status
	if err := v.Get(&s); err != nil {
		h.t.Fatalf("decode status: %v", err)
	}
	return &s
}

// result is the final status of a completed case.
func (h *harness) result() *contract.Status {
	h.t.Helper()
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatalf("case did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("case failed: %v", err)
	}
	var s contract.Status
	if err := h.env.GetWorkflowResult(&s); err != nil {
		h.t.Fatalf("decode result: %v", err)
	}
	return &s
}

// audit lists the audit rows recorded of a kind.
func (h *harness) audit(kind string) []activities.AuditEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []activities.AuditEntry
	for _, r := range h.records {
		if r.Kind == activities.RecordAudit && (kind == "" || r.Audit.Kind == kind) {
			out = append(out, *r.Audit)
		}
	}
	return out
}

func (h *harness) recordsOf(kind string) []activities.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []activities.Record
	for _, r := range h.records {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) now() time.Time { return h.env.Now() }

func (h *harness) ts() string { return h.env.Now().UTC().Format(time.RFC3339) }

// date is the debtor-local (Taipei) date d after now.
func (h *harness) date(d time.Duration) string {
	loc, _ := time.LoadLocation("Asia/Taipei")
	return h.env.Now().Add(d).In(loc).Format(time.DateOnly)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Payload builders for the happy path.

func (h *harness) confirmed() contract.PhoneVerified {
	return contract.PhoneVerified{AgentID: "phone-1", CalledAt: h.ts(), Outcome: contract.PhoneConfirmed}
}

func (h *harness) visitReport() contract.VisitReport {
	return contract.VisitReport{AgentIDs: []string{"field-1", "field-2"}, BadgesShown: true, VisitedAt: h.ts(),
		AddressID: "adr-1", DebtorMet: true, MonthlyCapacity: 300000, Willingness: contract.WillingnessMedium}
}

func (h *harness) plan(amounts ...int64) contract.NegotiationResult {
	n := contract.NegotiationResult{AgentID: "phone-1", Outcome: contract.NegotiationPlanAgreed, LegalConsequencesExplained: true}
	for i, amt := range amounts {
		n.Installments = append(n.Installments, contract.PlanInstallment{DueDate: h.date(time.Duration(10+30*i) * contract.Day), Amount: amt})
	}
	return n
}

func (h *harness) payment(id string, amount int64) contract.PaymentReceived {
	return contract.PaymentReceived{PaymentID: id, Amount: amount, PaidAt: h.ts(), Channel: "bank"}
}

// toNegotiation drives a fresh case through phone-verify and visit in its first minutes.
func (h *harness) toNegotiation() {
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.at(2*time.Minute, func() { h.accept(contract.ActionVisitReport, h.visitReport()) })
}

// signal sends a human action as a signal; the payload goes as JSON.
func (h *harness) signal(name string, payload any) {
	h.env.SignalWorkflow(name, payload)
}

// driveTo schedules the happy path up to a stage and returns when the case is there.
func (h *harness) driveTo(stage contract.Stage) time.Duration {
	switch stage {
	case contract.StagePhoneVerify:
		return 30 * time.Second
	case contract.StageVisit:
		h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
		return 90 * time.Second
	case contract.StageNegotiate:
		h.toNegotiation()
		return 150 * time.Second
	case contract.StageRepayment:
		h.toNegotiation()
		h.at(3*time.Minute, func() { h.accept(contract.ActionNegotiationResult, h.plan(200000, 300000)) })
		return 210 * time.Second
	case contract.StageSurvey:
		h.toNegotiation()
		h.at(3*time.Minute, func() { h.accept(contract.ActionNegotiationResult, h.plan(200000, 300000)) })
		h.at(4*time.Minute, func() { h.accept(contract.ActionPaymentReceived, h.payment("full", 500000)) })
		return 270 * time.Second
	}
	h.t.Fatalf("driveTo %s: no route", stage)
	return 0
}

// closeAt has a supervisor close the case, so that a test's case ends.
func (h *harness) closeAt(d time.Duration) {
	h.at(d, func() { h.accept(contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"}) })
}

// expectStage checks the stage at a moment.
func (h *harness) expectStage(d time.Duration, stage contract.Stage) {
	h.at(d, func() {
		if s := h.status(); s.Stage != stage {
			h.t.Errorf("at %s: stage %s, want %s", d, s.Stage, stage)
		}
	})
}

// testLogLevel is the SDK's log level in tests: CASEWORK_TEST_LOG=debug shows everything.
var testLogLevel = func() slog.Level {
	if os.Getenv("CASEWORK_TEST_LOG") == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}()
